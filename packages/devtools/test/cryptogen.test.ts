// generateCrypto against what Fabric v2.4.9's cryptogen wrote for the corpus network: the same
// files, certificates with the same contents (keys, serials and dates aside), low-S signatures
// everywhere, and chains that verify.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DevtoolsError,
  generateCrypto,
  loadCryptoConfig,
  validateCryptoConfig,
} from '../src/index.js';
import { keyIds, readCertDer, summarize } from '../test-support/certs.js';
import { certificateParts, lowS } from '../test-support/der.js';
import { corpusDir, tempDir } from '../test-support/paths.js';

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** What the corpus left out: private keys. */
function isPrivateKey(path: string): boolean {
  return path.includes('/keystore/') || path.endsWith('/priv_sk') || path.endsWith('.key');
}

function isCert(path: string): boolean {
  return path.endsWith('.pem') || path.endsWith('.crt');
}

function x509(path: string): X509Certificate {
  return new X509Certificate(readFileSync(path));
}

const corpusCrypto = (): string => join(corpusDir(), 'crypto');

void describe('generateCrypto from the corpus crypto-config.yaml', () => {
  let out = '';
  let dispose: () => Promise<void> = () => Promise.resolve();
  let mine: string[] = [];

  before(async () => {
    const tmp = await tempDir('crypto');
    dispose = tmp.dispose;
    out = join(tmp.dir, 'crypto-config');
    const spec = await loadCryptoConfig(join(corpusDir(), 'config', 'crypto-config.yaml'));
    const result = await generateCrypto(spec, out);
    assert.equal(result.organizations.length, 3);
    mine = filesUnder(out);
    assert.equal(result.files, mine.length);
  });
  after(() => dispose());

  void it('writes exactly the corpus file list, plus the private keys the corpus removed', () => {
    const theirs = filesUnder(corpusCrypto());
    assert.deepEqual(
      mine.filter((p) => !isPrivateKey(p)),
      theirs,
    );
    const keys = mine.filter(isPrivateKey);
    // Two CAs per org, and per node or user: an MSP key and a TLS key.
    const identities = mine.filter((p) => /\/msp\/signcerts\/[^/]+-cert\.pem$/.test(p)).length;
    assert.equal(identities, 8);
    assert.equal(keys.length, 3 * 2 + identities * 2);
    for (const k of keys) {
      assert.ok(
        /(\/keystore\/priv_sk|\/ca\/priv_sk|\/tlsca\/priv_sk|\/tls\/(server|client)\.key)$/.test(k),
        k,
      );
    }
  });

  void it('writes certificates whose subjects, extensions, SANs and key usages match cryptogen', () => {
    let compared = 0;
    for (const path of mine.filter(isCert)) {
      const a = summarize(readCertDer(join(out, path)));
      const b = summarize(readCertDer(join(corpusCrypto(), path)));
      assert.deepEqual(a, b, path);
      compared++;
    }
    assert.equal(compared, mine.filter(isCert).length);
    assert.ok(compared > 50, `only ${compared} certificates compared`);
  });

  void it('signs every certificate with a low S', () => {
    for (const path of mine.filter(isCert)) {
      const { s, low } = lowS(certificateParts(readCertDer(join(out, path))).signature);
      assert.ok(low, `${path}: high S ${s.toString(16)}`);
    }
  });

  void it('chains every node and user certificate to its CA and every TLS certificate to the TLS CA', () => {
    for (const org of [
      'peerOrganizations/org1.example.com',
      'peerOrganizations/org2.example.com',
      'ordererOrganizations/example.com',
    ]) {
      const domain = org.split('/')[1] ?? '';
      const ca = x509(join(out, org, 'ca', `ca.${domain}-cert.pem`));
      const tlsca = x509(join(out, org, 'tlsca', `tlsca.${domain}-cert.pem`));
      assert.ok(ca.verify(ca.publicKey) && ca.checkIssued(ca), `${org}: CA self-signature`);
      assert.ok(
        tlsca.verify(tlsca.publicKey) && tlsca.checkIssued(tlsca),
        `${org}: TLS CA self-signature`,
      );
      let signcerts = 0;
      let tlsCerts = 0;
      for (const path of mine.filter((p) => p.startsWith(`${org}/`) && isCert(p))) {
        const cert = x509(join(out, path));
        if (cert.ca) {
          // Every copy of a CA certificate is the CA's own.
          const own = cert.subject.includes('CN=tlsca.') ? tlsca : ca;
          assert.ok(cert.raw.equals(own.raw), `${path} is not a copy of ${own.subject}`);
          continue;
        }
        const tls = /\/tls\/(server|client)\.crt$/.test(path);
        const issuer = tls ? tlsca : ca;
        assert.ok(cert.checkIssued(issuer), `${path}: not issued by ${issuer.subject}`);
        assert.ok(cert.verify(issuer.publicKey), `${path}: signature does not verify`);
        assert.equal(keyIds(cert.raw).aki, keyIds(issuer.raw).ski, `${path}: AKI`);
        if (tls) tlsCerts++;
        else signcerts++;
      }
      assert.equal(tlsCerts, signcerts, org);
      assert.ok(signcerts >= 2, org);
    }
  });

  void it('writes PKCS#8 P-256 keys that match their certificates, readable only by the owner', () => {
    const pairs: [string, string][] = [];
    for (const path of mine.filter((p) => /\/msp\/signcerts\/.+-cert\.pem$/.test(p))) {
      pairs.push([path.replace(/signcerts\/.+$/, 'keystore/priv_sk'), path]);
    }
    for (const path of mine.filter((p) => /\/tls\/(server|client)\.crt$/.test(p))) {
      pairs.push([path.replace(/\.crt$/, '.key'), path]);
    }
    for (const ca of mine.filter((p) => /\/(ca|tlsca)\/[^/]+-cert\.pem$/.test(p))) {
      pairs.push([ca.replace(/[^/]+$/, 'priv_sk'), ca]);
    }
    assert.equal(pairs.length, mine.filter(isPrivateKey).length);
    for (const [keyPath, certPath] of pairs) {
      const text = readFileSync(join(out, keyPath), 'utf8');
      assert.match(
        text,
        /^-----BEGIN PRIVATE KEY-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END PRIVATE KEY-----\n$/,
        keyPath,
      );
      const key = createPrivateKey(text);
      assert.equal(key.asymmetricKeyType, 'ec');
      assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      // 138 bytes: PrivateKeyInfo holding an ECPrivateKey with its public key, as Go writes it.
      assert.equal(key.export({ type: 'pkcs8', format: 'der' }).length, 138, keyPath);
      const spki = (k: ReturnType<typeof createPublicKey>): string =>
        k.export({ type: 'spki', format: 'der' }).toString('hex');
      assert.equal(
        spki(createPublicKey(key)),
        spki(x509(join(out, certPath)).publicKey),
        `${keyPath} ↔ ${certPath}`,
      );
      assert.equal(statSync(join(out, keyPath)).mode & 0o777, 0o600, keyPath);
    }
  });

  void it('writes the NodeOUs config.yaml byte for byte as cryptogen does', () => {
    const configs = mine.filter((p) => p.endsWith('/config.yaml'));
    assert.equal(configs.length, 11);
    for (const path of configs) {
      assert.equal(
        readFileSync(join(out, path), 'utf8'),
        readFileSync(join(corpusCrypto(), path), 'utf8'),
        path,
      );
    }
  });

  void it('makes CA validity as cryptogen does: minute-aligned, five minutes back, 3650 days', () => {
    const ca = x509(
      join(out, 'peerOrganizations/org1.example.com/ca/ca.org1.example.com-cert.pem'),
    );
    const from = new Date(ca.validFrom).getTime();
    assert.equal(from % 60_000, 0);
    assert.ok(Math.abs(Date.now() - 5 * 60_000 - from) <= 90_000);
    assert.equal(new Date(ca.validTo).getTime() - from, 3650 * 86_400_000);
  });

  void it('refuses to write over an organization that exists', async () => {
    const spec = await loadCryptoConfig(join(corpusDir(), 'config', 'crypto-config.yaml'));
    await assert.rejects(generateCrypto(spec, out), (err: unknown) => {
      assert.ok(err instanceof DevtoolsError);
      assert.equal(err.code, 'DEVTOOLS_OUTPUT_FAILED');
      assert.match(err.message, /peerOrganizations\/org1\.example\.com: already exists/);
      return true;
    });
  });
});

void describe('generateCrypto: the rest of the crypto-config format', () => {
  let out = '';
  let dispose: () => Promise<void> = () => Promise.resolve();
  before(async () => {
    const tmp = await tempDir('crypto2');
    dispose = tmp.dispose;
    out = tmp.dir;
  });
  after(() => dispose());

  void it('without NodeOUs: no OUs, no config.yaml, the org admin in admincerts as cryptogen copies it', async () => {
    await generateCrypto(
      validateCryptoConfig({
        PeerOrgs: [
          { Name: 'Org3', Domain: 'org3.example.com', Template: { Count: 1 }, Users: { Count: 1 } },
        ],
      }),
      out,
    );
    const org = join(out, 'peerOrganizations/org3.example.com');
    const admin = readFileSync(
      join(org, 'users/Admin@org3.example.com/msp/signcerts/Admin@org3.example.com-cert.pem'),
    );
    for (const msp of ['msp', 'peers/peer0.org3.example.com/msp']) {
      assert.deepEqual(
        readdirSync(join(org, msp, 'admincerts')),
        ['Admin@org3.example.com-cert.pem'],
        msp,
      );
      assert.deepEqual(
        readFileSync(join(org, msp, 'admincerts/Admin@org3.example.com-cert.pem')),
        admin,
        msp,
      );
      assert.equal(existsSync(join(org, msp, 'config.yaml')), false);
    }
    // A user's MSP names the user itself as admin (cryptogen copies the org admin only into nodes).
    assert.deepEqual(readdirSync(join(org, 'users/User1@org3.example.com/msp/admincerts')), [
      'User1@org3.example.com-cert.pem',
    ]);
    assert.equal(existsSync(join(org, 'msp', 'keystore')), false);
    const peer = summarize(
      readCertDer(
        join(org, 'peers/peer0.org3.example.com/msp/signcerts/peer0.org3.example.com-cert.pem'),
      ),
    );
    assert.deepEqual(peer.subject, [
      ['2.5.4.6=PrintableString:US'],
      ['2.5.4.8=PrintableString:California'],
      ['2.5.4.7=PrintableString:San Francisco'],
      ['2.5.4.3=PrintableString:peer0.org3.example.com'],
    ]);
  });

  void it('takes subject fields from CA, renders templates and adds the implicit SANs', async () => {
    await generateCrypto(
      validateCryptoConfig({
        OrdererOrgs: [
          {
            Name: 'Ord',
            Domain: 'ord.example.net',
            EnableNodeOUs: true,
            CA: {
              Hostname: 'rootca',
              Country: 'FR',
              Locality: 'Paris',
              OrganizationalUnit: 'Ops',
              PostalCode: '75001',
            },
            Specs: [
              {
                Hostname: 'o1',
                CommonName: '{{.Hostname}}-x.{{.Domain}}',
                SANS: ['{{.CommonName}}.alt', '10.0.0.7', '::1'],
              },
            ],
            Template: {
              Count: 2,
              Start: 5,
              Hostname: 'node{{.Index}}',
              SANS: ['{{ .Hostname }}.lan'],
            },
          },
        ],
      }),
      out,
    );
    const org = join(out, 'ordererOrganizations/ord.example.net');
    assert.deepEqual(readdirSync(join(org, 'orderers')).sort(), [
      'node5.ord.example.net',
      'node6.ord.example.net',
      'o1-x.ord.example.net',
    ]);
    assert.deepEqual(readdirSync(join(org, 'users')), ['Admin@ord.example.net']);
    const ca = summarize(readCertDer(join(org, 'ca/rootca.ord.example.net-cert.pem')));
    assert.deepEqual(ca.subject, [
      ['2.5.4.6=PrintableString:FR'],
      ['2.5.4.8=PrintableString:California'],
      ['2.5.4.7=PrintableString:Paris'],
      ['2.5.4.17=PrintableString:75001'],
      ['2.5.4.10=PrintableString:ord.example.net'],
      ['2.5.4.11=PrintableString:Ops'],
      ['2.5.4.3=PrintableString:rootca.ord.example.net'],
    ]);
    assert.ok(existsSync(join(org, 'tlsca/tlsrootca.ord.example.net-cert.pem')));
    const o1 = summarize(
      readCertDer(
        join(org, 'orderers/o1-x.ord.example.net/msp/signcerts/o1-x.ord.example.net-cert.pem'),
      ),
    );
    // Two OUs in one RDN, in DER order: the CA's and the node type.
    assert.deepEqual(o1.subject[4], [
      '2.5.4.11=PrintableString:Ops',
      '2.5.4.11=PrintableString:orderer',
    ]);
    const tls = summarize(readCertDer(join(org, 'orderers/o1-x.ord.example.net/tls/server.crt')));
    const san = tls.extensions.find((e) => e.oid === '2.5.29.17');
    assert.deepEqual(san?.value, {
      names: [
        { type: 'dns', value: 'o1-x.ord.example.net' },
        { type: 'dns', value: 'o1' },
        { type: 'dns', value: 'o1-x.ord.example.net.alt' },
        { type: 'ip', value: '10.0.0.7' },
        { type: 'ip', value: '::1' },
      ],
    });
    const n5 = summarize(readCertDer(join(org, 'orderers/node5.ord.example.net/tls/server.crt')));
    assert.deepEqual(n5.extensions.find((e) => e.oid === '2.5.29.17')?.value, {
      names: [
        { type: 'dns', value: 'node5.ord.example.net' },
        { type: 'dns', value: 'node5' },
        { type: 'dns', value: 'node5.lan' },
      ],
    });
    // An admin gets the admin OU with NodeOUs; its TLS certificate is a client one without SANs.
    const admin = summarize(
      readCertDer(
        join(org, 'users/Admin@ord.example.net/msp/signcerts/Admin@ord.example.net-cert.pem'),
      ),
    );
    assert.deepEqual(admin.subject[4], [
      '2.5.4.11=PrintableString:Ops',
      '2.5.4.11=PrintableString:admin',
    ]);
    assert.deepEqual(admin.subject[5], ['2.5.4.3=UTF8String:Admin@ord.example.net']);
    const adminTls = summarize(
      readCertDer(join(org, 'users/Admin@ord.example.net/tls/client.crt')),
    );
    assert.equal(
      adminTls.extensions.find((e) => e.oid === '2.5.29.17'),
      undefined,
    );
  });

  void it('reports bad input as one line naming the file and the field', async () => {
    const file = join(out, 'bad.yaml');
    const cases: [string, RegExp][] = [
      [
        'PeerOrgs:\n  - Domain: a.com\n    Templates: {Count: 1}\n',
        /bad\.yaml: PeerOrgs\[0\]\.Templates: unknown key \(allowed here: Name, Domain/,
      ],
      [
        'PeerOrgs:\n  - Domain: a.com\n    Template: {Count: two}\n',
        /bad\.yaml: PeerOrgs\[0\]\.Template\.Count: expected an integer, got the string "two"$/,
      ],
      ['PeerOrgs:\n  - Name: A\n', /bad\.yaml: PeerOrgs\[0\]\.Domain: is required/],
      [
        'PeerOrgs:\n  - Domain: a.com\n    Specs:\n      - CommonName: x\n',
        /bad\.yaml: PeerOrgs\[0\]\.Specs\[0\]\.Hostname: is required/,
      ],
      [
        'PeerOrgs:\n  - Domain: a.com\n    Specs:\n      - Hostname: p\n        Country: DE\n',
        /Specs\[0\]\.Country: has no effect on a node/,
      ],
      [
        'OrdererOrgs:\n  - Domain: a.com\n    Users: {Count: 2}\n',
        /OrdererOrgs\[0\]\.Users\.Count: has no effect on an orderer organization/,
      ],
      [
        'PeerOrgs:\n  - Domain: a.com\n    Template: {Count: 1, Hostname: "{{.Name}}"}\n',
        /Template\.Hostname: template field \.Name is not available here \(available: \.Prefix, \.Index, \.Domain\)/,
      ],
      ['PeerOrgs: [ {Domain: a.com\n', /bad\.yaml: not valid YAML at line \d+, column \d+/],
      ['Orgs: []\n', /bad\.yaml: Orgs: unknown key \(allowed here: OrdererOrgs, PeerOrgs\)/],
    ];
    for (const [text, expected] of cases) {
      await writeFile(file, text);
      await assert.rejects(
        loadCryptoConfig(file).then((spec) =>
          generateCrypto(spec, join(out, 'never'), { source: file }),
        ),
        (err: unknown) => {
          assert.ok(err instanceof DevtoolsError, String(err));
          assert.equal(err.code, 'DEVTOOLS_SPEC_INVALID');
          assert.doesNotMatch(err.message, /\n/);
          assert.match(err.message, expected);
          return true;
        },
        text,
      );
    }
    assert.equal(existsSync(join(out, 'never')), false);
  });
});
