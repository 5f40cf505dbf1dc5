import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { common, protos } from '@fabric-peer/protos';
import { silentLoggers } from '@fabric-peer/testkit';
import { Cscc } from '../src/index.js';
import { openSccEnv, type SccEnv } from '../test-support/env.js';
import { invoke } from '../test-support/stub.js';

describe('cscc', () => {
  let env: SccEnv;
  let cscc: Cscc;

  before(async () => {
    // The peer has joined nothing yet: JoinChain does it.
    env = await openSccEnv({ join: false });
    cscc = new Cscc({ channels: env.tc.channels, acl: env.acl, logger: silentLoggers('cscc') });
  });
  after(() => env.close());

  const call = (
    args: (string | Uint8Array)[],
    signer: 'admin' | 'user' | 'peer' | 'stranger' = 'admin',
    options: { channelId?: string; chaincode?: string } = {},
  ) =>
    invoke(
      cscc,
      env.tc.channels,
      {
        signer: signer === 'stranger' ? env.stranger : env.net.identities[signer],
        channelId: options.channelId ?? '',
        args,
        ...(options.chaincode !== undefined ? { chaincode: options.chaincode } : {}),
      },
      { simulate: false },
    );

  it('JoinChain refuses a non-admin and bad blocks, then joins', async () => {
    const genesis = env.net.genesis;
    const denied = await call(['JoinChain', genesis], 'user');
    assert.match(
      denied.response.message ?? '',
      /^access denied for \[JoinChain\]\[mychannel\]: \[/,
    );
    assert.equal(
      (await call(['JoinChain', new Uint8Array(0)])).response.message,
      'Cannot join the channel <nil> configuration block provided',
    );
    assert.match(
      (await call(['JoinChain', Uint8Array.of(0x0a, 0x7f)])).response.message ?? '',
      /^Failed to reconstruct the genesis block, /,
    );
    // A block whose config lacks the Application group.
    const block = common.Block.decode(genesis);
    const env0 = common.Envelope.decode(block.data!.data![0]!);
    const payload = common.Payload.decode(env0.payload);
    const configEnv = common.ConfigEnvelope.decode(payload.data);
    delete configEnv.config!.channelGroup!.groups!.Application;
    payload.data = common.ConfigEnvelope.encode(configEnv).finish();
    env0.payload = common.Payload.encode(payload).finish();
    block.data!.data![0] = common.Envelope.encode(env0).finish();
    const noApp = await call(['JoinChain', common.Block.encode(block).finish()]);
    assert.equal(
      noApp.response.message,
      '"JoinChain" for channelID = mychannel failed because of validation of configuration block, because of Invalid configuration block, missing Application configuration group',
    );
    assert.deepEqual(env.tc.channels.ids(), []);

    const joined = await call(['JoinChain', genesis]);
    assert.equal(joined.response.status, 200, joined.response.message);
    assert.deepEqual(env.tc.channels.ids(), ['mychannel']);
    const again = await call(['JoinChain', genesis]);
    assert.match(again.response.message ?? '', /ledger \[mychannel\] already exists/);
  });

  it('GetChannels for local members', async () => {
    const res = await call(['GetChannels'], 'user');
    assert.deepEqual(
      protos.ChannelQueryResponse.decode(res.response.payload!).channels.map((c) => c.channelId),
      ['mychannel'],
    );
    assert.match(
      (await call(['GetChannels'], 'stranger')).response.message ?? '',
      /^access denied for \[GetChannels\]: /,
    );
  });

  it('GetConfigBlock and GetChannelConfig for channel readers', async () => {
    const block = await call(['GetConfigBlock', 'mychannel'], 'peer', { channelId: 'mychannel' });
    assert.equal(block.response.status, 200, block.response.message);
    const got = common.Block.decode(block.response.payload!);
    const original = common.Block.decode(env.net.genesis);
    assert.deepEqual(got.header, original.header);
    assert.deepEqual(got.data?.data, original.data?.data);
    const config = await call(['GetChannelConfig', 'mychannel'], 'user', {
      channelId: 'mychannel',
    });
    const decoded = common.Config.decode(config.response.payload!);
    assert.ok(decoded.channelGroup?.groups?.Application);
    assert.match(
      (await call(['GetConfigBlock', 'nochannel'], 'user')).response.message ?? '',
      /^access denied for \[GetConfigBlock\]\[nochannel\]: Failed to get policy manager for channel \[nochannel\]$/,
    );
    assert.equal(
      (await call(['GetChannelConfig', ''], 'user')).response.message,
      'empty channel name provided',
    );
    assert.match(
      (await call(['GetChannelConfig', 'mychannel'], 'stranger')).response.message ?? '',
      /^access denied for \[GetChannelConfig\]\[mychannel\]: /,
    );
  });

  it('answers snapshot status and refuses a snapshot join', async () => {
    const status = await call(['JoinBySnapshotStatus']);
    assert.equal(status.response.status, 200);
    assert.equal(protos.JoinBySnapshotStatus.decode(status.response.payload!).inProgress, false);
    assert.match(
      (await call(['JoinBySnapshotStatus'], 'user')).response.message ?? '',
      /^access denied for \[JoinBySnapshotStatus\]: /,
    );
    assert.equal(
      (await call(['JoinChainBySnapshot', ''])).response.message,
      'Cannot join the channel, no snapshot directory provided',
    );
    assert.match(
      (await call(['JoinChainBySnapshot', '/tmp/snap'])).response.message ?? '',
      /not supported/,
    );
  });

  it('refuses bad arguments and invocation through another chaincode', async () => {
    assert.equal((await call([])).response.message, 'Incorrect number of arguments, 0');
    assert.equal(
      (await call(['GetConfigBlock'])).response.message,
      'Incorrect number of arguments, 1',
    );
    assert.equal(
      (await call(['Nope', 'x'])).response.message,
      'Requested function Nope not found.',
    );
    assert.equal(
      (await call(['GetChannels'], 'admin', { chaincode: 'mycc' })).response.message,
      "Rejecting invoke of CSCC from another chaincode, original invocation for 'mycc'",
    );
  });
});
