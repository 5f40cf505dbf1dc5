// A fabric-contract-api contract, started by fabric-shim's cli.js (start or server mode).
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, as fabric-shim loads chaincode */
const { Contract } = require('fabric-contract-api');

class AssetContract extends Contract {
  constructor() {
    super('asset');
  }

  async create(ctx, id, value) {
    const existing = await ctx.stub.getState(id);
    if (existing && existing.length > 0) throw new Error(`asset ${id} already exists`);
    await ctx.stub.putState(id, Buffer.from(JSON.stringify({ id, value })));
    ctx.stub.setEvent('created', Buffer.from(id));
    return JSON.stringify({ id, value });
  }

  async read(ctx, id) {
    const data = await ctx.stub.getState(id);
    if (!data || data.length === 0) throw new Error(`asset ${id} does not exist`);
    return data.toString('utf8');
  }
}

module.exports.contracts = [AssetContract];
