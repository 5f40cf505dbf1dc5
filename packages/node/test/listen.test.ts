import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FabricPeerError } from '@fabric-peer/api';
import { envName, ListenError, listenError, parseHostPort } from '../src/listen.js';

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

describe('parseHostPort', () => {
  it('splits an IPv4 or name address', () => {
    assert.deepEqual(parseHostPort('0.0.0.0:7051'), { host: '0.0.0.0', port: 7051 });
    assert.deepEqual(parseHostPort('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseHostPort('peer0.org1.example.com:7052'), {
      host: 'peer0.org1.example.com',
      port: 7052,
    });
    assert.deepEqual(parseHostPort('  localhost:9443 '), { host: 'localhost', port: 9443 });
  });

  it('takes an IPv6 host in brackets, without the brackets', () => {
    assert.deepEqual(parseHostPort('[::1]:7051'), { host: '::1', port: 7051 });
    assert.deepEqual(parseHostPort('[::]:9443'), { host: '::', port: 9443 });
    assert.deepEqual(parseHostPort('[fe80::1%eth0]:1'), { host: 'fe80::1%eth0', port: 1 });
  });

  it('takes an empty host (every interface)', () => {
    assert.deepEqual(parseHostPort(':7051'), { host: '', port: 7051 });
  });

  it('refuses what is not host:port, quoting it', () => {
    for (const bad of [
      '',
      'localhost',
      '7051',
      'host:',
      'host:port',
      '::1:7051',
      '[::1]',
      'a:1:2',
      'h:-1',
      'h:1.5',
      'h:65536',
      'h:99999',
    ]) {
      assert.throws(
        () => parseHostPort(bad),
        (err: unknown) => {
          assert.ok(err instanceof Error);
          assert.equal(err.message, `"${bad}" is not host:port with a port from 0 to 65535`);
          return true;
        },
        bad,
      );
    }
  });
});

describe('envName', () => {
  it('maps a core.yaml key to its CORE_* variable as Fabric does', () => {
    assert.equal(envName('peer.listenAddress'), 'CORE_PEER_LISTENADDRESS');
    assert.equal(envName('peer.chaincodeListenAddress'), 'CORE_PEER_CHAINCODELISTENADDRESS');
    assert.equal(envName('operations.listenAddress'), 'CORE_OPERATIONS_LISTENADDRESS');
    assert.equal(envName('peer.tls.cert.file'), 'CORE_PEER_TLS_CERT_FILE');
  });
});

describe('listenError', () => {
  it('says "address in use" for EADDRINUSE and names the key, the address and the variable', () => {
    const cause = errno('EADDRINUSE', 'listen EADDRINUSE: address already in use 0.0.0.0:7051');
    const err = listenError('peer.listenAddress', '0.0.0.0:7051', cause);
    assert.ok(err instanceof ListenError);
    assert.ok(err instanceof FabricPeerError);
    assert.equal(err.name, 'ListenError');
    assert.equal(err.code, 'LISTEN_FAILED');
    assert.equal(
      err.message,
      'cannot listen on 0.0.0.0:7051 (peer.listenAddress): address in use; ' +
        'change peer.listenAddress in core.yaml or set CORE_PEER_LISTENADDRESS',
    );
    assert.equal(err.cause, cause);
    assert.deepEqual(err.details, { key: 'peer.listenAddress', address: '0.0.0.0:7051' });
  });

  it('recognises "address in use" from the message alone (grpc-js wraps the errno)', () => {
    const wrapped = new Error(
      'No address added out of total 1 resolved errors: [listen EADDRINUSE: address already in use 127.0.0.1:7051]',
    );
    assert.match(
      listenError('peer.listenAddress', '127.0.0.1:7051', wrapped).message,
      /: address in use;/,
    );
  });

  it('says "permission denied" for EACCES', () => {
    const err = listenError(
      'operations.listenAddress',
      '0.0.0.0:443',
      errno('EACCES', 'listen EACCES: permission denied 0.0.0.0:443'),
    );
    assert.match(
      err.message,
      /^cannot listen on 0\.0\.0\.0:443 \(operations\.listenAddress\): permission denied; /,
    );
    assert.match(err.message, /CORE_OPERATIONS_LISTENADDRESS$/);
  });

  it('explains EADDRNOTAVAIL', () => {
    const err = listenError(
      'peer.listenAddress',
      '10.9.9.9:7051',
      errno('EADDRNOTAVAIL', 'listen EADDRNOTAVAIL'),
    );
    assert.match(err.message, /address not available on this host/);
  });

  it('passes any other message through, and accepts a non-Error', () => {
    const err = listenError(
      'peer.chaincodeListenAddress',
      'nohost:7052',
      errno('ENOTFOUND', 'getaddrinfo ENOTFOUND nohost'),
    );
    assert.match(err.message, /\(peer\.chaincodeListenAddress\): getaddrinfo ENOTFOUND nohost; /);
    assert.match(err.message, /CORE_PEER_CHAINCODELISTENADDRESS/);
    const odd = listenError('peer.listenAddress', 'x:1', 'something odd');
    assert.match(odd.message, /\): something odd; /);
    assert.equal(odd.cause, 'something odd');
  });
});
