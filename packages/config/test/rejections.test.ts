/** Bad configurations are refused with one ConfigError naming key, value, what is allowed, source. */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { loadConfig } from '../src/index.js';
import { configError, issueFor, tempDir, writeCoreYaml } from './helpers.js';

void describe('rejections', () => {
  void test('peer.listenAddress: 12 says a host:port is expected', (t) => {
    const file = writeCoreYaml(tempDir(t), 'peer:\n  listenAddress: 12\n');
    const err = configError(() => loadConfig({ path: file, env: {} }));
    const issue = issueFor(err, 'peer.listenAddress');
    assert.equal(issue.value, 12);
    assert.match(issue.problem, /not a host:port address/);
    assert.match(issue.allowed ?? '', /host:port .* port from 0 to 65535/);
    assert.equal(issue.source, `${file}:2`);
    assert.equal(
      err.message,
      `invalid configuration: peer.listenAddress: not a host:port address: no port (got 12; allowed: host:port with a non-empty host and a port from 0 to 65535, e.g. 127.0.0.1:7051 or [::1]:7051) [from ${file}:2]`,
    );
  });

  void test('other bad addresses say why', (t) => {
    const file = writeCoreYaml(
      tempDir(t),
      [
        'peer:',
        '  address: ":7051"',
        '  profile:',
        '    listenAddress: host:70000',
        'operations:',
        '  listenAddress: ::1:9443',
        'metrics:',
        '  statsd:',
        '    address: udp://127.0.0.1:8125',
        '',
      ].join('\n'),
    );
    const err = configError(() => loadConfig({ path: file, env: {} }));
    assert.match(issueFor(err, 'peer.address').problem, /empty host/);
    assert.match(
      issueFor(err, 'peer.profile.listenAddress').problem,
      /port must be a number from 0 to 65535/,
    );
    assert.match(
      issueFor(err, 'operations.listenAddress').problem,
      /IPv6 host must be in brackets/,
    );
    assert.match(issueFor(err, 'metrics.statsd.address').problem, /URL is not an address/);
  });

  void test('ledger.state.stateDatabase: mongo without a library is refused', (t) => {
    const file = writeCoreYaml(tempDir(t), 'ledger:\n  state:\n    stateDatabase: mongo\n');
    const err = configError(() => loadConfig({ path: file, env: {} }));
    const issue = issueFor(err, 'ledger.state.stateDatabase');
    assert.equal(issue.value, 'mongo');
    assert.match(
      issue.problem,
      /not a built-in state database, and ledger.state.library is not set/,
    );
    assert.match(issue.allowed ?? '', /goleveldb or CouchDB \(any case\)/);
    assert.equal(issue.source, `${file}:3`);
  });

  void test('a state database name from a library is accepted; built-in names in any case', (t) => {
    const dir = tempDir(t);
    const withLibrary = writeCoreYaml(
      `${dir}/a`,
      'ledger:\n  state:\n    stateDatabase: mongo\n    library: "@acme/statedb-mongo"\n',
    );
    const a = loadConfig({ path: withLibrary, env: {} });
    assert.equal(a.get('ledger.state.stateDatabase'), 'mongo');
    assert.equal(a.get('ledger.state.library'), '@acme/statedb-mongo');

    const lower = writeCoreYaml(`${dir}/b`, 'ledger:\n  state:\n    stateDatabase: couchdb\n');
    assert.equal(loadConfig({ path: lower, env: {} }).get('ledger.state.stateDatabase'), 'CouchDB');
    const upper = writeCoreYaml(`${dir}/c`, 'ledger:\n  state:\n    stateDatabase: GOLEVELDB\n');
    assert.equal(
      loadConfig({ path: upper, env: {} }).get('ledger.state.stateDatabase'),
      'goleveldb',
    );
  });

  void test('an unknown top-level key lists the sections', (t) => {
    const file = writeCoreYaml(tempDir(t), 'peer:\n  id: p\nfoo: bar\n');
    const issue = issueFor(
      configError(() => loadConfig({ path: file, env: {} })),
      'foo',
    );
    assert.equal(issue.value, 'bar');
    assert.match(issue.problem, /^unknown key in the top level$/);
    assert.equal(
      issue.allowed,
      'top-level keys: peer, vm, chaincode, ledger, operations, metrics, plugins',
    );
    assert.equal(issue.source, `${file}:3`);
  });

  void test('a logging section gets the FABRIC_LOGGING_SPEC hint', (t) => {
    const file = writeCoreYaml(tempDir(t), 'logging:\n  level: debug\n');
    const issue = issueFor(
      configError(() => loadConfig({ path: file, env: {} })),
      'logging',
    );
    assert.match(issue.problem, /FABRIC_LOGGING_SPEC/);
  });

  void test('an unknown nested key names the full key, its siblings and the nearest one', (t) => {
    const file = writeCoreYaml(
      tempDir(t),
      'peer:\n  gossip:\n    pvtData:\n      reconcileBatchSze: 5\n',
    );
    const issue = issueFor(
      configError(() => loadConfig({ path: file, env: {} })),
      'peer.gossip.pvtData.reconcileBatchSze',
    );
    assert.equal(
      issue.problem,
      'unknown key in peer.gossip.pvtData; did you mean peer.gossip.pvtData.reconcileBatchSize?',
    );
    assert.match(issue.allowed ?? '', /^keys of peer\.gossip\.pvtData: pullRetryThreshold, /);
    assert.match(issue.allowed ?? '', /reconcileSleepInterval/);
    assert.equal(issue.source, `${file}:4`);
  });

  void test('unsupported Docker host config keys say so', (t) => {
    const file = writeCoreYaml(
      tempDir(t),
      'vm:\n  docker:\n    hostConfig:\n      Privileged: true\n',
    );
    const issue = issueFor(
      configError(() => loadConfig({ path: file, env: {} })),
      'vm.docker.hostConfig.Privileged',
    );
    assert.match(issue.problem, /not supported/);
  });

  void test('bad durations say what a duration is', (t) => {
    const file = writeCoreYaml(
      tempDir(t),
      'peer:\n  gateway:\n    dialTimeout: 2 minutes\nchaincode:\n  executetimeout: 30\n  startuptimeout: -5s\n',
    );
    const err = configError(() => loadConfig({ path: file, env: {} }));
    const words = issueFor(err, 'peer.gateway.dialTimeout');
    assert.equal(words.value, '2 minutes');
    assert.equal(words.problem, 'not a duration');
    assert.match(words.allowed ?? '', /Go duration: .* e\.g\. 300s, 2m, 1500ms, 1h30m; or 0/);
    const bare = issueFor(err, 'chaincode.executetimeout');
    assert.equal(bare.value, 30);
    assert.equal(bare.problem, 'a bare number is not a duration: add a unit');
    assert.equal(
      issueFor(err, 'chaincode.startuptimeout').problem,
      'negative durations are not allowed',
    );
  });

  void test('a bad boolean from the environment names the variable', (t) => {
    const file = writeCoreYaml(tempDir(t), 'peer:\n  id: p\n');
    const err = configError(() =>
      loadConfig({ path: file, env: { CORE_PEER_TLS_ENABLED: 'yes' } }),
    );
    const issue = issueFor(err, 'peer.tls.enabled');
    assert.equal(issue.value, 'yes');
    assert.equal(issue.problem, 'not a boolean');
    assert.equal(issue.allowed, 'true, false, 1, 0, t or f (any case)');
    assert.equal(issue.source, 'CORE_PEER_TLS_ENABLED');
  });

  void test('bad values of other kinds', (t) => {
    const file = writeCoreYaml(
      tempDir(t),
      [
        'peer:',
        '  tls:',
        '    enabled: maybe',
        '  maxRecvMsgSize: 1.5',
        '  localMspType: idemix',
        '  discovery:',
        '    authCachePurgeRetentionRatio: 2',
        'metrics:',
        '  provider: prometeus',
        'chaincode:',
        '  system:',
        '    cscc: enabel',
        '',
      ].join('\n'),
    );
    const err = configError(() => loadConfig({ path: file, env: {} }));
    assert.equal(issueFor(err, 'peer.tls.enabled').problem, 'not a boolean');
    assert.equal(issueFor(err, 'peer.maxRecvMsgSize').problem, 'not an integer');
    assert.equal(issueFor(err, 'peer.localMspType').allowed, 'one of: bccsp');
    assert.equal(
      issueFor(err, 'peer.discovery.authCachePurgeRetentionRatio').problem,
      'out of range',
    );
    assert.equal(
      issueFor(err, 'metrics.provider').problem,
      'not an allowed value; did you mean prometheus?',
    );
    const scc = issueFor(err, 'chaincode.system.cscc');
    assert.equal(scc.value, 'enabel');
    assert.match(scc.allowed ?? '', /enable or disable/);
  });

  void test('a handler name that is not built-in and has no library', (t) => {
    const file = writeCoreYaml(
      tempDir(t),
      [
        'peer:',
        '  handlers:',
        '    authFilters:',
        '      - name: DefaultAuth',
        '      - name: MyFilter',
        '    endorsers:',
        '      escc:',
        '        name: DefaultEndorsment',
        '',
      ].join('\n'),
    );
    const err = configError(() => loadConfig({ path: file, env: {} }));
    const filter = issueFor(err, 'peer.handlers.authFilters[1].name');
    assert.equal(filter.value, 'MyFilter');
    assert.equal(filter.problem, 'not a built-in auth filter and no library is given');
    assert.equal(
      filter.allowed,
      'a built-in auth filter (DefaultAuth, ExpirationCheck, TimeWindowCheck), or any name together with library: naming the package or path that provides it',
    );
    assert.equal(filter.source, `${file}:5`);
    const escc = issueFor(err, 'peer.handlers.endorsers.escc.name');
    assert.match(escc.problem, /did you mean DefaultEndorsement\?$/);
  });

  void test('a handler or provider with a library may use any name', (t) => {
    const file = writeCoreYaml(
      tempDir(t),
      [
        'peer:',
        '  handlers:',
        '    authFilters:',
        '      - name: MyFilter',
        '        library: "@acme/filters"',
        'vm:',
        '  providers:',
        '    - name: firecracker',
        '      library: ./vm-firecracker.js',
        '    - name: docker',
        '',
      ].join('\n'),
    );
    const config = loadConfig({ path: file, env: {} });
    assert.deepEqual(config.get('peer.handlers.authFilters'), [
      { name: 'MyFilter', library: '@acme/filters' },
    ]);
    assert.deepEqual(config.get('vm.providers'), [
      { name: 'firecracker', library: './vm-firecracker.js' },
      { name: 'docker', library: null },
    ]);
  });

  void test('an unknown key inside a handler entry suggests the right one', (t) => {
    const file = writeCoreYaml(
      tempDir(t),
      'vm:\n  providers:\n    - name: remote\n      libary: x\n',
    );
    const issue = issueFor(
      configError(() => loadConfig({ path: file, env: {} })),
      'vm.providers[0].libary',
    );
    assert.equal(issue.problem, 'unknown key; did you mean library?');
    assert.equal(issue.allowed, 'a map with keys: name, library');
    assert.equal(issue.source, `${file}:4`);
  });

  // Fabric reads externalBuilders and addressOverrides from the environment as YAML (env.test.ts);
  // it has no such path for these.
  void test('a CORE_* variable for a list of maps must be set in the YAML', (t) => {
    const file = writeCoreYaml(tempDir(t), 'peer:\n  id: p\n');
    const vars = {
      CORE_PEER_HANDLERS_AUTHFILTERS: '[{name: DefaultAuth}]',
      CORE_PEER_HANDLERS_DECORATORS: '[]',
      CORE_VM_PROVIDERS: 'docker',
      CORE_PLUGINS: '@acme/x',
      CORE_PEER_HANDLERS_ENDORSERS_ESCC_NAME: 'MyEndorser',
      CORE_VM_DOCKER_HOSTCONFIG_LOGCONFIG_TYPE: 'syslog',
    };
    const err = configError(() => loadConfig({ path: file, env: vars }));
    assert.equal(err.issues.length, Object.keys(vars).length);
    const filters = issueFor(err, 'peer.handlers.authFilters');
    assert.equal(filters.source, 'CORE_PEER_HANDLERS_AUTHFILTERS');
    assert.equal(filters.value, '[{name: DefaultAuth}]');
    assert.equal(
      filters.problem,
      'cannot be set from the environment (it is a list of maps); it must be set in the YAML file',
    );
    assert.match(filters.allowed ?? '', /^peer\.handlers\.authFilters in core\.yaml: a list/);
    assert.equal(issueFor(err, 'vm.providers').source, 'CORE_VM_PROVIDERS');
    assert.equal(issueFor(err, 'plugins').source, 'CORE_PLUGINS');
    assert.equal(
      issueFor(err, 'peer.handlers.endorsers').source,
      'CORE_PEER_HANDLERS_ENDORSERS_ESCC_NAME',
    );
    assert.match(issueFor(err, 'vm.docker.hostConfig.LogConfig.Type').problem, /LogConfig/);
  });

  void test('several problems at once make one error listing all of them', (t) => {
    const file = writeCoreYaml(
      tempDir(t),
      [
        'peer:',
        '  listenAddress: 12',
        '  tls:',
        '    enable: true',
        'ledger:',
        '  state:',
        '    stateDatabase: mongo',
        'bogus: 1',
        '',
      ].join('\n'),
    );
    const err = configError(() =>
      loadConfig({ path: file, env: { CORE_PEER_GOSSIP_USELEADERELECTION: 'nope' } }),
    );
    assert.deepEqual(
      err.issues.map((i) => i.key),
      [
        'peer.listenAddress',
        'peer.tls.enable',
        'bogus',
        'peer.gossip.useLeaderElection',
        'ledger.state.stateDatabase',
      ],
    );
    const lines = err.message.split('\n');
    assert.equal(lines[0], 'invalid configuration (5 problems):');
    assert.equal(lines.length, 6);
    assert.ok(lines.slice(1).every((line) => line.startsWith('  ')));
    assert.match(err.message, /\[from CORE_PEER_GOSSIP_USELEADERELECTION\]/);
  });

  void test('orgLeader and useLeaderElection cannot both be true', (t) => {
    const file = writeCoreYaml(tempDir(t), 'peer:\n  gossip:\n    orgLeader: true\n');
    const err = configError(() =>
      loadConfig({ path: file, env: { CORE_PEER_GOSSIP_USELEADERELECTION: 'true' } }),
    );
    const issue = issueFor(err, 'peer.gossip.orgLeader');
    assert.match(issue.problem, /together with peer\.gossip\.useLeaderElection/);
    assert.equal(issue.source, `${file}:3`);
  });

  void test('a key given twice in different case is refused', (t) => {
    const file = writeCoreYaml(tempDir(t), 'peer:\n  id: a\n  ID: b\n');
    const issue = issueFor(
      configError(() => loadConfig({ path: file, env: {} })),
      'peer.ID',
    );
    assert.match(issue.problem, /given twice \(as "id" and "ID"; keys are case-insensitive\)/);
  });

  void test('a scalar where a section belongs is refused', (t) => {
    const file = writeCoreYaml(tempDir(t), 'peer:\n  tls: true\n');
    const issue = issueFor(
      configError(() => loadConfig({ path: file, env: {} })),
      'peer.tls',
    );
    assert.equal(issue.value, true);
    assert.equal(issue.problem, 'a value where a section is expected');
  });

  void test('a YAML syntax error reports file, line and column', (t) => {
    const file = writeCoreYaml(tempDir(t), 'peer:\n  id: p\n  tls: [\nledger: {\n');
    const err = configError(() => loadConfig({ path: file, env: {} }));
    assert.ok(err.issues.length >= 1);
    const first = err.issues[0]!;
    assert.equal(first.key, file);
    assert.match(first.problem, /^YAML syntax error at line \d+, column \d+: /);
    assert.match(
      err.message,
      new RegExp(
        `${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: YAML syntax error at line 4, column 1`,
      ),
    );
  });

  void test('duplicate keys are YAML errors, as for Fabric', (t) => {
    const file = writeCoreYaml(tempDir(t), 'peer:\n  id: a\n  id: b\n');
    const err = configError(() => loadConfig({ path: file, env: {} }));
    assert.match(err.issues[0]!.problem, /line 3, column 3: Map keys must be unique/);
  });
});
