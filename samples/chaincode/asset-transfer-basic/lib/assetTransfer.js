/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Assets with an ID, a colour, a size, an owner and an appraised value, kept in the world state
 * under their ID — the behaviour of Fabric's asset-transfer-basic sample (JavaScript): the same
 * functions, arguments, errors and stored JSON.
 */
'use strict';

/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, as fabric-shim loads chaincode */
const { Contract } = require('fabric-contract-api');

/**
 * JSON with the keys of every object in alphabetical order. Every endorsing peer must write the
 * same bytes for the same asset (their read-write sets are compared), so the order of keys cannot
 * be left to how an object was built. Fabric's sample uses json-stringify-deterministic and
 * sort-keys-recursive for this; the chaincode here needs nothing beyond fabric-contract-api.
 */
function deterministicJson(value) {
  const sorted = (v) => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sorted(v[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sorted(value));
}

class AssetTransfer extends Contract {
  /** Six sample assets (numbers as numbers, with the `docType` a CouchDB index would use). */
  async InitLedger(ctx) {
    const assets = [
      { ID: 'asset1', Color: 'blue', Size: 5, Owner: 'Tomoko', AppraisedValue: 300 },
      { ID: 'asset2', Color: 'red', Size: 5, Owner: 'Brad', AppraisedValue: 400 },
      { ID: 'asset3', Color: 'green', Size: 10, Owner: 'Jin Soo', AppraisedValue: 500 },
      { ID: 'asset4', Color: 'yellow', Size: 10, Owner: 'Max', AppraisedValue: 600 },
      { ID: 'asset5', Color: 'black', Size: 15, Owner: 'Adriana', AppraisedValue: 700 },
      { ID: 'asset6', Color: 'white', Size: 15, Owner: 'Michel', AppraisedValue: 800 },
    ];
    for (const asset of assets) {
      asset.docType = 'asset';
      await ctx.stub.putState(asset.ID, Buffer.from(deterministicJson(asset)));
    }
  }

  /** Creates an asset; fails if the ID is taken. Returns the asset as JSON. */
  async CreateAsset(ctx, id, color, size, owner, appraisedValue) {
    const exists = await this.AssetExists(ctx, id);
    if (exists) {
      throw new Error(`The asset ${id} already exists`);
    }
    const asset = {
      ID: id,
      Color: color,
      Size: size,
      Owner: owner,
      AppraisedValue: appraisedValue,
    };
    await ctx.stub.putState(id, Buffer.from(deterministicJson(asset)));
    return JSON.stringify(asset);
  }

  /** The asset stored under `id`, as JSON. */
  async ReadAsset(ctx, id) {
    const assetJSON = await ctx.stub.getState(id);
    if (!assetJSON || assetJSON.length === 0) {
      throw new Error(`The asset ${id} does not exist`);
    }
    return assetJSON.toString();
  }

  /** Replaces an existing asset with the values given. */
  async UpdateAsset(ctx, id, color, size, owner, appraisedValue) {
    const exists = await this.AssetExists(ctx, id);
    if (!exists) {
      throw new Error(`The asset ${id} does not exist`);
    }
    const updatedAsset = {
      ID: id,
      Color: color,
      Size: size,
      Owner: owner,
      AppraisedValue: appraisedValue,
    };
    return ctx.stub.putState(id, Buffer.from(deterministicJson(updatedAsset)));
  }

  /** Deletes an existing asset. */
  async DeleteAsset(ctx, id) {
    const exists = await this.AssetExists(ctx, id);
    if (!exists) {
      throw new Error(`The asset ${id} does not exist`);
    }
    return ctx.stub.deleteState(id);
  }

  /** Whether an asset is stored under `id`. */
  async AssetExists(ctx, id) {
    const assetJSON = await ctx.stub.getState(id);
    return assetJSON && assetJSON.length > 0;
  }

  /** Gives the asset a new owner; returns the previous owner. */
  async TransferAsset(ctx, id, newOwner) {
    const assetString = await this.ReadAsset(ctx, id);
    const asset = JSON.parse(assetString);
    const oldOwner = asset.Owner;
    asset.Owner = newOwner;
    await ctx.stub.putState(id, Buffer.from(deterministicJson(asset)));
    return oldOwner;
  }

  /** Every asset in the world state, in key order, as a JSON array. */
  async GetAllAssets(ctx) {
    const allResults = [];
    // An empty range (start and end '') is every key of the chaincode's namespace.
    const iterator = await ctx.stub.getStateByRange('', '');
    try {
      let result = await iterator.next();
      while (!result.done) {
        const strValue = Buffer.from(result.value.value.toString()).toString('utf8');
        let record;
        try {
          record = JSON.parse(strValue);
        } catch {
          // A value that is not JSON is listed as the text it is.
          record = strValue;
        }
        allResults.push(record);
        result = await iterator.next();
      }
    } finally {
      await iterator.close();
    }
    return JSON.stringify(allResults);
  }
}

module.exports = { AssetTransfer };
