/** `peer.gossip`: membership, block dissemination, leader election, private data, state transfer. */

import { address, bool, duration, int, nullable, stringList } from '../formats.js';
import { key } from './define.js';

const count = (doc: string, value: number) => key(int({ min: 0 }), value, doc);

/** Schema of `peer.gossip`. */
export function gossipSchema() {
  return {
    bootstrap: key(
      stringList(address()),
      ['127.0.0.1:7051'],
      'Peers of the same organisation contacted at start-up (one address, or a list).',
    ),
    useLeaderElection: key(
      bool(),
      false,
      'Elect the peer that pulls blocks from the ordering service dynamically (exclusive with orgLeader).',
    ),
    orgLeader: key(
      bool(),
      true,
      'Make this peer a static leader that always pulls blocks from the ordering service.',
    ),
    membershipTrackerInterval: key(
      duration(),
      '5s',
      'How often membership changes are checked and logged.',
    ),
    endpoint: key(
      nullable(address()),
      null,
      'Endpoint published to peers of the same organisation; empty uses peer.address.',
    ),
    maxBlockCountToStore: count('Blocks kept in memory for gossip.', 10),
    maxPropagationBurstLatency: key(
      duration(),
      '10ms',
      'Longest time between consecutive message pushes.',
    ),
    maxPropagationBurstSize: count(
      'Messages stored before a push to remote peers is triggered.',
      10,
    ),
    propagateIterations: count('Times each message is pushed to remote peers.', 1),
    propagatePeerNum: count('Peers each message is pushed to.', 3),
    pullInterval: key(
      duration(),
      '4s',
      'Time between pull rounds; must exceed digestWaitTime + responseWaitTime.',
    ),
    pullPeerNum: count('Peers pulled from in each round.', 3),
    requestStateInfoInterval: key(
      duration(),
      '4s',
      'How often state information is pulled from other peers.',
    ),
    publishStateInfoInterval: key(
      duration(),
      '4s',
      'How often state information is pushed to other peers.',
    ),
    stateInfoRetentionInterval: key(
      nullable(duration()),
      null,
      'How long a state-info message is kept; empty uses the gossip default.',
    ),
    publishCertPeriod: key(
      duration(),
      '10s',
      'How long after start-up certificates are included in alive messages.',
    ),
    skipBlockVerification: key(
      bool(),
      false,
      'Skip verifying gossiped block messages (not used by Fabric).',
    ),
    dialTimeout: key(duration(), '3s', 'Timeout for dialling another peer.'),
    connTimeout: key(duration(), '2s', 'Timeout for establishing a gossip connection.'),
    recvBuffSize: count('Size of the buffer of received messages.', 20),
    sendBuffSize: count('Size of the buffer of messages to send.', 200),
    digestWaitTime: key(
      duration(),
      '1s',
      'Wait before processing incoming digests; a little below requestWaitTime.',
    ),
    requestWaitTime: key(
      duration(),
      '1500ms',
      'Wait before dropping the nonce of a pull request; a little above digestWaitTime.',
    ),
    responseWaitTime: key(duration(), '2s', 'Wait for responses before ending a pull round.'),
    aliveTimeInterval: key(duration(), '5s', 'How often alive messages are sent.'),
    aliveExpirationTimeout: key(
      duration(),
      '25s',
      'Silence after which a peer is considered dead.',
    ),
    reconnectInterval: key(duration(), '25s', 'Time between reconnection attempts to a dead peer.'),
    maxConnectionAttempts: count('Attempts to connect to a peer before giving up.', 120),
    msgExpirationFactor: count(
      'Alive-message expiration, as a multiple of aliveExpirationTimeout.',
      20,
    ),
    externalEndpoint: key(
      nullable(address()),
      null,
      'Endpoint published to other organisations; empty keeps the peer unknown to them and to discovery.',
    ),
    nonBlockingCommitMode: key(
      bool(),
      false,
      'Hand blocks received by gossip to the committer without waiting (not in the sample core.yaml).',
    ),
    election: {
      startupGracePeriod: key(
        duration(),
        '15s',
        'Longest wait for a stable membership before the first leader election.',
      ),
      membershipSampleInterval: key(
        duration(),
        '1s',
        'How often membership is sampled to check it is stable.',
      ),
      leaderAliveThreshold: key(
        duration(),
        '10s',
        'Silence from the leader after which a new election starts.',
      ),
      leaderElectionDuration: key(
        duration(),
        '5s',
        'Time between proposing itself and declaring itself leader.',
      ),
    },
    pvtData: {
      pullRetryThreshold: key(
        duration(),
        '60s',
        'How long missing private data is pulled from peers before the block is committed without it.',
      ),
      transientstoreMaxBlockRetention: count(
        'Blocks for which private data waits in the transient store before it may be purged.',
        1000,
      ),
      pushAckTimeout: key(
        duration(),
        '3s',
        'Wait for each peer to acknowledge private data pushed at endorsement.',
      ),
      btlPullMargin: count(
        'Private data due to expire within this many blocks is not pulled from peers.',
        10,
      ),
      reconcileBatchSize: count('Missing private data items reconciled per iteration.', 10),
      reconcileSleepInterval: key(duration(), '1m', 'Pause between two reconciliation iterations.'),
      reconciliationEnabled: key(bool(), true, 'Fetch missing private data in the background.'),
      skipPullingInvalidTransactionsDuringCommit: key(
        bool(),
        false,
        'Leave private data of invalid transactions to the reconciler instead of pulling it at commit.',
      ),
      implicitCollectionDisseminationPolicy: {
        requiredPeerCount: count(
          "Peers that must receive private data of the organisation's implicit collection at endorsement.",
          0,
        ),
        maxPeerCount: count(
          "Most peers private data of the organisation's implicit collection is sent to at endorsement.",
          1,
        ),
      },
    },
    state: {
      enabled: key(bool(), false, 'Catch up on missing blocks by state transfer from other peers.'),
      checkInterval: key(
        duration(),
        '10s',
        'How often the peer checks whether it lags behind enough to request blocks.',
      ),
      responseTimeout: key(duration(), '3s', 'Wait for a state-transfer response.'),
      batchSize: count('Blocks requested per state-transfer request.', 10),
      blockBufferSize: count('Size of the buffer that reorders blocks before commit.', 20),
      maxRetries: count('Retries of one state-transfer request.', 3),
      channelSize: count(
        'Size of the queue of incoming gossip messages for state transfer (not in the sample core.yaml).',
        100,
      ),
    },
  };
}
