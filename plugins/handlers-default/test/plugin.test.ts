import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { API_VERSION, type PeerPlugin } from '@fabric-peer/api';
import {
  authFilterChain,
  decorators,
  endorsementPlugin,
  Kernel,
  validatePluginExport,
  validationPlugin,
} from '@fabric-peer/core';
import { protos } from '@fabric-peer/protos';
import { fakeConfig, silentLoggers } from '@fabric-peer/testkit';
import plugin, {
  DefaultAuth,
  DefaultDecorator,
  DefaultEndorsement,
  DefaultValidation,
  ExpirationCheck,
  ProposalRejected,
  TimeWindowCheck,
} from '../src/index.js';
import {
  makeCerts,
  RecordingEndorser,
  TestSigningIdentity,
  type TestCerts,
} from '../test-support/fakes.js';
import {
  GARBAGE,
  serializedIdentity,
  signedProposal,
  signedProposalFrom,
} from '../test-support/proposals.js';

/** The plugin's own folder (tests run from dist/test). */
const pluginDir = join(dirname(fileURLToPath(import.meta.url)), '../..');
const MINUTE = 60_000;

/** Everything the kernel and the handlers read from core.yaml, as a Fabric sample would set it. */
function peerConfig(authFilters: string[]) {
  return fakeConfig(
    {
      plugins: [],
      'peer.handlers.authFilters': authFilters.map((name) => ({ name })),
      'peer.handlers.decorators': [{ name: 'DefaultDecorator' }],
      'peer.handlers.endorsers': { escc: { name: 'DefaultEndorsement', library: null } },
      'peer.handlers.validators': { vscc: { name: 'DefaultValidation', library: null } },
      'vm.providers': [],
      'ledger.state.stateDatabase': 'goleveldb',
      'ledger.state.library': null,
      'peer.authentication.timewindow': '15m',
    },
    {
      durations: { 'peer.authentication.timewindow': 900_000 },
      // A folder with no node_modules: the built-in plugin must come from the search folders.
      dir: tmpdir(),
    },
  );
}

function kernel(authFilters: string[]): Promise<Kernel> {
  return Kernel.create({
    config: peerConfig(authFilters),
    loggerFactory: silentLoggers,
    builtinPackages: ['@fabric-peer/handlers-default'],
    searchDirs: [pluginDir],
  });
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ProposalRejected, `expected ProposalRejected, got ${String(e)}`);
    return e.message;
  }
  assert.fail('the proposal was not refused');
}

describe('plugin export', () => {
  it('passes the core’s validation', () => {
    assert.deepEqual(validatePluginExport(plugin), []);
  });

  it('declares every handler under its Fabric name', () => {
    const p: PeerPlugin = plugin;
    assert.equal(p.apiVersion, API_VERSION);
    assert.equal(p.name, 'handlers-default');
    assert.deepEqual(p.contributes, {
      authFilter: { DefaultAuth, ExpirationCheck, TimeWindowCheck },
      decorator: { DefaultDecorator },
      endorsement: { DefaultEndorsement },
      validation: { DefaultValidation },
    });
  });
});

describe('loaded through the kernel', () => {
  let certs: TestCerts;
  before(async () => {
    certs = await makeCerts();
  });

  const fresh = () =>
    signedProposal({ creator: serializedIdentity('Org1MSP', certs.valid.certPem) });
  const expired = (ms = Date.now()) =>
    signedProposal({
      creator: serializedIdentity('Org1MSP', certs.expired.certPem),
      timestampMs: ms,
    });
  const late = () =>
    signedProposal({
      creator: serializedIdentity('Org1MSP', certs.valid.certPem),
      timestampMs: Date.now() - 16 * MINUTE,
    });

  it('loads the package as a built-in plugin from the peer’s folders', async () => {
    const k = await kernel([]);
    const [loaded] = k.registry.plugins();
    assert.equal(loaded?.plugin.name, 'handlers-default');
    assert.equal(loaded?.packageName, '@fabric-peer/handlers-default');
    assert.equal(loaded?.location, pluginDir);
    assert.equal(loaded?.builtIn, true);
    assert.deepEqual(
      k.registry.list().map((c) => `${c.point}:${c.name}`),
      [
        'authFilter:DefaultAuth',
        'authFilter:ExpirationCheck',
        'authFilter:TimeWindowCheck',
        'decorator:DefaultDecorator',
        'endorsement:DefaultEndorsement',
        'validation:DefaultValidation',
      ],
    );
  });

  it('chains DefaultAuth, ExpirationCheck, TimeWindowCheck in config order in front of the endorser', async () => {
    const k = await kernel(['DefaultAuth', 'ExpirationCheck', 'TimeWindowCheck']);
    const endorser = new RecordingEndorser();
    const chain = authFilterChain(k.registry, k.config, endorser);
    assert.ok(chain instanceof DefaultAuth);

    const ok = fresh();
    assert.equal(await chain.processProposal(ok, {}), endorser.response);
    assert.equal(endorser.calls[0]?.signed, ok);

    // Expired and out of the window: ExpirationCheck speaks first.
    assert.equal(
      await refusal(chain.processProposal(expired(Date.now() - 16 * MINUTE), {})),
      'identity expired',
    );
    assert.match(
      await refusal(chain.processProposal(late(), {})),
      /^request unauthorized due to incorrect timestamp \S+Z, peer time \S+Z, peer\.authentication\.timewindow 15m0s$/,
    );
    assert.match(
      await refusal(chain.processProposal(signedProposalFrom(GARBAGE), {})),
      /^failed parsing proposal: /,
    );
    assert.equal(endorser.calls.length, 1);
  });

  it('follows the config, not the binding order: TimeWindowCheck first speaks first', async () => {
    const k = await kernel(['TimeWindowCheck', 'ExpirationCheck']);
    const endorser = new RecordingEndorser();
    const chain = authFilterChain(k.registry, k.config, endorser);
    assert.ok(chain instanceof TimeWindowCheck);
    assert.match(
      await refusal(chain.processProposal(expired(Date.now() - 16 * MINUTE), {})),
      /^request unauthorized due to incorrect timestamp /,
    );
    assert.equal(await refusal(chain.processProposal(expired(), {})), 'identity expired');
    await chain.processProposal(fresh(), {});
    assert.equal(endorser.calls.length, 1);
  });

  it('leaves out the filters the config does not name', async () => {
    const k = await kernel(['DefaultAuth']);
    const endorser = new RecordingEndorser();
    const chain = authFilterChain(k.registry, k.config, endorser);
    await chain.processProposal(expired(Date.now() - 16 * MINUTE), {});
    assert.equal(endorser.calls.length, 1);
  });

  it('provides, under vscc, a fresh DefaultValidation per use', async () => {
    const k = await kernel([]);
    const vscc = validationPlugin(k.registry, k.config, 'vscc');
    assert.ok(vscc instanceof DefaultValidation);
    assert.notEqual(validationPlugin(k.registry, k.config, 'vscc'), vscc);
  });

  it('provides the decorator and, under escc, a fresh DefaultEndorsement per use', async () => {
    const k = await kernel([]);
    const [decorator, ...more] = decorators(k.registry, k.config);
    assert.ok(decorator instanceof DefaultDecorator);
    assert.equal(more.length, 0);
    const input: protos.IChaincodeInput = { args: [Buffer.from('ping')] };
    assert.equal(decorator.decorate({}, input), input);

    const escc = endorsementPlugin(k.registry, k.config, 'escc');
    assert.ok(escc instanceof DefaultEndorsement);
    assert.notEqual(endorsementPlugin(k.registry, k.config, 'escc'), escc);
    const identity = new TestSigningIdentity('Org1MSP', certs.valid);
    await escc.init({ signingIdentityFor: () => Promise.resolve(identity) });
    const payload = protos.ProposalResponsePayload.encode({
      proposalHash: Buffer.alloc(32, 1),
    }).finish();
    const { endorsement } = await escc.endorse(payload, fresh());
    await identity.verify(Buffer.concat([payload, endorsement.endorser!]), endorsement.signature!);
  });
});
