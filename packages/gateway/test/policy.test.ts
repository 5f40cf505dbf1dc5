/**
 * Endorsement layouts from policies: signature policies built by the policy DSL, and the channel
 * policies of a real genesis block (ImplicitMeta over the organizations' Endorsement policies).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signaturePolicyFromString } from '@fabric-peer/devtools';
import { ChannelManager } from '@fabric-peer/channel';
import { openLedgerManager, type LedgerManager } from '@fabric-peer/ledger';
import type { ChannelConfigBundle } from '@fabric-peer/policies';
import { common, msp } from '@fabric-peer/protos';
import { memoryStateDatabaseProvider } from '@fabric-peer/statedb-testkit';
import type { OrgLayout } from '../src/plan.js';
import {
  PolicyLayoutError,
  applicationPolicyLayouts,
  channelPolicyLayouts,
  combineRequirements,
  minimize,
  signaturePolicyLayouts,
} from '../src/policy.js';
import { makeGatewayNetwork, type GatewayTestNetwork } from '../test-support/network.js';

/** Layouts as sorted `Org=n,Org=n` strings, for comparison. */
function show(layouts: readonly OrgLayout[]): string[] {
  return layouts
    .map((l) =>
      [...l]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([org, n]) => `${org}=${n}`)
        .join(','),
    )
    .sort();
}

function sig(rule: string): OrgLayout[] {
  return signaturePolicyLayouts(signaturePolicyFromString(rule));
}

describe('signature policy layouts', () => {
  it('OR needs any one organization, AND needs each', () => {
    assert.deepEqual(show(sig("OR('A.peer','B.peer')")), ['A=1', 'B=1']);
    assert.deepEqual(show(sig("AND('A.peer','B.peer')")), ['A=1,B=1']);
  });

  it('n out of m: every choice of n', () => {
    assert.deepEqual(show(sig("OutOf(2,'A.peer','B.peer','C.peer')")), [
      'A=1,B=1',
      'A=1,C=1',
      'B=1,C=1',
    ]);
    assert.deepEqual(show(sig("OutOf(0,'A.peer')")), ['']);
    assert.deepEqual(sig("OutOf(3,'A.peer','B.peer')"), []);
  });

  it('two principals of one organization need two endorsements of it', () => {
    assert.deepEqual(show(sig("AND('A.peer','A.member')")), ['A=2']);
    assert.deepEqual(show(sig("OR(AND('A.peer','A.member'),'B.peer')")), ['A=2', 'B=1']);
  });

  it('keeps only minimal layouts', () => {
    assert.deepEqual(show(sig("OR('A.peer',AND('A.peer','B.peer'))")), ['A=1']);
  });

  it('tells the organization of OU and identity principals, and none of others', () => {
    const C = common.MSPPrincipal.Classification;
    const envelope: common.SignaturePolicyEnvelope.$Properties = {
      rule: { nOutOf: { n: 1, rules: [{ signedBy: 0 }, { signedBy: 1 }, { signedBy: 2 }] } },
      identities: [
        {
          principalClassification: C.ORGANIZATION_UNIT,
          principal: common.OrganizationUnit.encode({ mspIdentifier: 'A' }).finish(),
        },
        {
          principalClassification: C.IDENTITY,
          principal: msp.SerializedIdentity.encode({
            mspid: 'B',
            idBytes: new Uint8Array(1),
          }).finish(),
        },
        { principalClassification: C.ANONYMITY, principal: new Uint8Array(0) },
      ],
    };
    assert.deepEqual(show(signaturePolicyLayouts(envelope)), ['A=1', 'B=1']);
    // A SignedBy out of range can never be satisfied.
    assert.deepEqual(signaturePolicyLayouts({ rule: { signedBy: 5 }, identities: [] }), []);
    assert.throws(() => signaturePolicyLayouts({ identities: [] }), PolicyLayoutError);
  });

  it('combines requirements by maximum per organization', () => {
    const combined = combineRequirements([
      sig("OR('A.peer','B.peer')"),
      sig("OR('B.peer','C.peer')"),
    ]);
    assert.deepEqual(show(combined), ['A=1,C=1', 'B=1']);
    assert.deepEqual(
      show(combineRequirements([sig("AND('A.peer','A.member')"), sig("OR('A.peer')")])),
      ['A=2'],
    );
    assert.deepEqual(show(minimize([new Map([['A', 1]]), new Map([['A', 1]])])), ['A=1']);
  });
});

describe('channel policy layouts', () => {
  let net: GatewayTestNetwork;
  let ledgers: LedgerManager;
  let channels: ChannelManager;
  let bundle: ChannelConfigBundle;
  const provider = memoryStateDatabaseProvider();

  before(async () => {
    net = await makeGatewayNetwork();
    ledgers = await openLedgerManager({
      fileSystemPath: `${net.dir}/policy-ledger`,
      stateDatabaseProvider: provider,
    });
    channels = new ChannelManager({ ledgers });
    bundle = (await channels.join(common.Block.decode(net.genesis))).bundle();
  });

  after(async () => {
    channels.close();
    await ledgers.close();
    await provider.close();
    await net.dispose();
  });

  it('MAJORITY Endorsement of two organizations needs both', () => {
    assert.deepEqual(show(channelPolicyLayouts(bundle, '/Channel/Application/Endorsement')), [
      'Org1MSP=1,Org2MSP=1',
    ]);
    // Relative to the channel group, as Fabric's channel policy manager resolves it.
    assert.deepEqual(show(channelPolicyLayouts(bundle, 'Application/Endorsement')), [
      'Org1MSP=1,Org2MSP=1',
    ]);
  });

  it('ANY Readers needs one organization, an organization policy that one', () => {
    assert.deepEqual(show(channelPolicyLayouts(bundle, '/Channel/Application/Readers')), [
      'Org1MSP=1',
      'Org2MSP=1',
    ]);
    assert.deepEqual(
      show(channelPolicyLayouts(bundle, '/Channel/Application/Org2MSP/Endorsement')),
      ['Org2MSP=1'],
    );
  });

  it('refuses a policy the channel does not have', () => {
    assert.throws(() => channelPolicyLayouts(bundle, '/Channel/Application/Nope'), /not found/);
    assert.throws(() => channelPolicyLayouts(bundle, '/Other/Thing'), PolicyLayoutError);
  });

  it('reads either form of an ApplicationPolicy', () => {
    assert.deepEqual(
      show(
        applicationPolicyLayouts(bundle, {
          channelConfigPolicyReference: '/Channel/Application/Endorsement',
        }),
      ),
      ['Org1MSP=1,Org2MSP=1'],
    );
    assert.deepEqual(
      show(
        applicationPolicyLayouts(bundle, {
          signaturePolicy: signaturePolicyFromString("OR('Org2MSP.peer')"),
        }),
      ),
      ['Org2MSP=1'],
    );
    assert.throws(() => applicationPolicyLayouts(bundle, {}), PolicyLayoutError);
  });
});
