import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  CouchDbError,
  escapeUpperCase,
  mapAndValidateDbName,
  metadataDbName,
  namespaceDbName,
} from '../src/index.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

// Names from Fabric's couchdbutil_test.go (a 243-character channel, a 294-character namespace and
// a 287-character collection), with the truncations Fabric expects.
const LONG_CHANNEL =
  'tob2g.y-z0f.qwp-rq5g4-ogid5g6oucyryg9sc16mz0t4vuake5q557esz7sn493nf0ghch0xih6dwuirokyoi4jvs67gh6r5v6mhz3-292un2-9egdcs88cstg3f7xa9m1i8v4gj0t3jedsm-woh3kgiqehwej6h93hdy5tr4v.1qmmqjzz0ox62k.507sh3fkw3-mfqh.ukfvxlm5szfbwtpfkd1r4j.cy8oft5obvwqpzjxb27xuw6';
const LONG_NS =
  'wMCnSXiV9YoIqNQyNvFVTdM8XnUtvrOFFIWsKelmP5NEszmNLl8YhtOKbFu3P_NgwgsYF8PsfwjYCD8f1XRpANQLoErDHwLlweryqXeJ6vzT2x0pS_GwSx0m6tBI0zOmHQOq_2De8A87x6zUOPwufC2T6dkidFxiuq8Sey2-5vUo_iNKCij3WTeCnKx78PUIg_U1gp4_0KTvYVtRBRvH0kz5usizBxPaiFu3TPhB9XLviScvdUVSbSYJ0Z';
const LONG_COLL =
  'pvWjtfSTXVK8WJus5s6zWoMIciXd7qHRZIusF9SkOS6m8XuHCiJDE9cCRuVerq22Na8qBL2ywDGFpVMIuzfyEXLjeJb0mMuH4cwewT6r1INOTOSYwrikwOLlT_fl0V1L7IQEwUBB8WCvRqSdj6j5-E5aGul_pv_0UeCdwWiyA_GrZmP7ocLzfj2vP8btigrajqdH-irLO2ydEjQUAvf8fiuxru9la402KmKRy457GgI98UHoUdqV3f3FCdR';
const TRUNC_CHANNEL = 'tob2g.y-z0f.qwp-rq5g4-ogid5g6oucyryg9sc16mz0t4vuak';
const TRUNC_NS = 'w$m$cn$s$xi$v9$yo$iq$n$qy$nv$f$v$td$m8$xn$utvr$o$f';
const TRUNC_COLL = 'pv$wjtf$s$t$x$v$k8$w$jus5s6z$wo$m$ici$xd7q$h$r$z$i';

describe('database names (Fabric couchdbutil.go)', () => {
  it('escapes upper-case letters as $ and the lower-case letter', () => {
    const table: [string, string][] = [
      ['mycc', 'mycc'],
      ['myCC', 'my$c$c'],
      ['Marbles02', '$marbles02'],
      ['cc$$hColl', 'cc$$h$coll'],
      ['_lifecycle', '_lifecycle'],
    ];
    for (const [input, expected] of table) assert.equal(escapeUpperCase(input), expected, input);
  });

  it('names namespace databases <channel>_<escaped namespace>', () => {
    const table: [string, string, string][] = [
      ['mychannel', 'mycc', 'mychannel_mycc'],
      ['mychannel', 'myCC', 'mychannel_my$c$c'],
      ['mychannel', 'marbles$$pcollectionMarbles', 'mychannel_marbles$$pcollection$marbles'],
      ['mychannel', 'marbles$$hcollectionMarbles', 'mychannel_marbles$$hcollection$marbles'],
      ['mychannel', '_lifecycle', 'mychannel__lifecycle'],
      [
        'mychannel',
        '_lifecycle$$h_implicit_org_Org1MSP',
        'mychannel__lifecycle$$h_implicit_org_$org1$m$s$p',
      ],
      ['mychannel', '', 'mychannel_'],
      ['my.channel-1', 'cc', 'my.channel-1_cc'],
    ];
    for (const [ch, ns, expected] of table) {
      assert.equal(namespaceDbName(ch, ns), expected, `${ch} / ${ns}`);
    }
  });

  it('names the metadata database <channel>_', () => {
    assert.equal(metadataDbName('mychannel'), 'mychannel_');
    // The documented collision: namespace "" shares the metadata database while untruncated.
    assert.equal(namespaceDbName('mychannel', ''), metadataDbName('mychannel'));
  });

  it('truncates a long metadata database name and adds the SHA-256 of the channel name', () => {
    const name = metadataDbName(LONG_CHANNEL);
    assert.equal(name, `${TRUNC_CHANNEL}(${sha(LONG_CHANNEL)})_`);
    assert.equal(name.length, 117);
    // At the limit (238) nothing is truncated.
    const c238 = 'a'.repeat(238);
    assert.equal(metadataDbName(c238), `${c238}_`);
    assert.equal(metadataDbName(`${c238}b`), `${'a'.repeat(50)}(${sha(`${c238}b`)})_`);
  });

  it('truncates long namespace and collection names as Fabric does', () => {
    const withColl = namespaceDbName(LONG_CHANNEL, `${LONG_NS}$$${LONG_COLL}`);
    assert.equal(
      withColl,
      `${TRUNC_CHANNEL}_${TRUNC_NS}$$${TRUNC_COLL}(${sha(`${LONG_CHANNEL}_${LONG_NS}$$${LONG_COLL}`)})`,
    );
    assert.equal(withColl.length, 219);
    const plain = namespaceDbName(LONG_CHANNEL, LONG_NS);
    assert.equal(plain, `${TRUNC_CHANNEL}_${TRUNC_NS}(${sha(`${LONG_CHANNEL}_${LONG_NS}`)})`);
    assert.equal(plain.length, 167);
    // A short channel keeps its whole name; the hash is of the unescaped name.
    const short = namespaceDbName('ch', 'A'.repeat(240));
    assert.equal(short, `ch_${'$a'.repeat(25)}(${sha(`ch_${'A'.repeat(240)}`)})`);
    // Both names truncated fit CouchDB's limit and pass validation.
    assert.equal(mapAndValidateDbName(withColl), withColl.replaceAll('.', '$'));
  });

  it('validates names and maps . to $', () => {
    assert.equal(mapAndValidateDbName('test.my.db-1'), 'test$my$db-1');
    assert.equal(mapAndValidateDbName('mychannel_my$c$c'), 'mychannel_my$c$c');
    for (const bad of ['testDB', 'test1234/1', '5test1234', '', `a${'1'.repeat(238)}`, 'é']) {
      assert.throws(
        () => mapAndValidateDbName(bad),
        (e: unknown) => e instanceof CouchDbError && e.code === 'COUCHDB_INVALID_NAME',
        JSON.stringify(bad),
      );
    }
    assert.throws(() => mapAndValidateDbName('Upper_'), {
      message: "databaseName 'Upper_' does not match pattern '[a-z][a-z0-9.$_()+-]*'",
    });
  });
});
