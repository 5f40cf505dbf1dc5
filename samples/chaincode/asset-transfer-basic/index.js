/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The asset-transfer-basic chaincode: fabric-contract-api finds the contracts it serves in
 * `contracts` (one here, so it is also the default contract: `CreateAsset` needs no prefix).
 */
'use strict';

/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, as fabric-shim loads chaincode */
const { AssetTransfer } = require('./lib/assetTransfer');

module.exports.AssetTransfer = AssetTransfer;
module.exports.contracts = [AssetTransfer];
