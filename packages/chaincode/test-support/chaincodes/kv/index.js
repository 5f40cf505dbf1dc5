// A low-level fabric-shim chaincode exercising every message type the peer's handler serves.
// Run: node index.js --peer.address HOST:PORT --chaincode-id-name ID
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, as fabric-shim loads chaincode */
const shim = require('fabric-shim');

function text(b) {
  return Buffer.from(b ?? []).toString('utf8');
}

// Iterates with next()/close() as the shim's StateQueryIterator offers.
async function collect(iterator) {
  const out = [];
  for (;;) {
    const r = await iterator.next();
    if (r.value) out.push({ key: r.value.key, value: text(r.value.value) });
    if (r.done) break;
  }
  await iterator.close();
  return out;
}

const functions = {
  async put(stub, [k, v]) {
    await stub.putState(k, Buffer.from(v));
    return '';
  },
  async get(stub, [k]) {
    return text(await stub.getState(k));
  },
  async getput(stub, [k, v]) {
    await stub.getState(k);
    await stub.putState(k, Buffer.from(v));
    return '';
  },
  async del(stub, [k]) {
    await stub.deleteState(k);
    return '';
  },
  async putMany(stub, [prefix, n]) {
    for (let i = 0; i < Number(n); i++) {
      await stub.putState(`${prefix}${String(i).padStart(4, '0')}`, Buffer.from(String(i)));
    }
    return '';
  },
  async range(stub, [start, end]) {
    return JSON.stringify(await collect(await stub.getStateByRange(start, end)));
  },
  async rangeEarlyClose(stub, [start, end]) {
    const iterator = await stub.getStateByRange(start, end);
    const first = await iterator.next();
    await iterator.close();
    return first.value ? first.value.key : '';
  },
  async rangePage(stub, [start, end, pageSize, bookmark]) {
    const { iterator, metadata } = await stub.getStateByRangeWithPagination(
      start,
      end,
      Number(pageSize),
      bookmark,
    );
    const results = await collect(iterator);
    return JSON.stringify({ keys: results.map((r) => r.key), metadata });
  },
  async query(stub, [q]) {
    return JSON.stringify(await collect(await stub.getQueryResult(q)));
  },
  async history(stub, [k]) {
    const out = [];
    for await (const m of stub.getHistoryForKey(k)) {
      out.push({ txId: m.txId, value: text(m.value), isDelete: m.isDelete });
    }
    return JSON.stringify(out);
  },
  async setEP(stub, [k, ep]) {
    await stub.setStateValidationParameter(k, Buffer.from(ep));
    return '';
  },
  async getEP(stub, [k]) {
    return text(await stub.getStateValidationParameter(k));
  },
  async putPrivate(stub, [c, k, v]) {
    await stub.putPrivateData(c, k, Buffer.from(v));
    return '';
  },
  async getPrivate(stub, [c, k]) {
    return text(await stub.getPrivateData(c, k));
  },
  async getPrivateHash(stub, [c, k]) {
    return Buffer.from(await stub.getPrivateDataHash(c, k)).toString('hex');
  },
  async purgePrivate(stub, [c, k]) {
    await stub.purgePrivateData(c, k);
    return '';
  },
  async invoke(stub, [cc, channel, ...args]) {
    const r = await stub.invokeChaincode(cc, args, channel);
    return JSON.stringify({ status: r.status, message: r.message, payload: text(r.payload) });
  },
  async event(stub, [name, payload]) {
    stub.setEvent(name, Buffer.from(payload));
    return '';
  },
  async fail(_stub, [message]) {
    throw Object.assign(new Error(message), { expected: true });
  },
  async hang() {
    return new Promise(() => undefined);
  },
  async exit(stub, [code]) {
    await stub.getState('before-exit');
    process.exit(Number(code));
  },
  async whoami(stub) {
    return stub.getTxID() + ' ' + stub.getChannelID();
  },
};

class KvChaincode {
  async Init(stub) {
    const { params } = stub.getFunctionAndParameters();
    if (params.length === 2) await stub.putState(params[0], Buffer.from(params[1]));
    return shim.success(Buffer.from('init done'));
  }

  async Invoke(stub) {
    const { fcn, params } = stub.getFunctionAndParameters();
    const f = functions[fcn];
    if (f === undefined) return shim.error(`unknown function ${fcn}`);
    try {
      return shim.success(Buffer.from(await f(stub, params)));
    } catch (err) {
      return shim.error(err.message);
    }
  }
}

shim.start(new KvChaincode());
