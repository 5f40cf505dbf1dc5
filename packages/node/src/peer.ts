/**
 * The peer node: the kernel built from core.yaml with the node's own services and the built-in
 * plugins, started in dependency order and stopped in reverse.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoggerFactory, PeerConfig } from '@fabric-peer/api';
import { Kernel, type LifecycleManager } from '@fabric-peer/core';
import {
  ChaincodeGrpcServer,
  nodeModule,
  nodePlugin,
  Operations,
  PeerGrpcServer,
} from './module.js';
import { builtinPackages } from './builtins.js';
import type { BuildInfo, LogSpecControl } from './operations/server.js';

/** Budget for stopping every service on SIGTERM (the process must exit within 5 s). */
export const STOP_TIMEOUT_MS = 4000;

export interface PeerOptions {
  readonly config: PeerConfig;
  readonly loggerFactory: LoggerFactory;
  readonly logSpec: LogSpecControl;
  readonly build: BuildInfo;
}

/** Builds the kernel: every plugin loaded and checked, nothing started. */
export function createKernel(options: PeerOptions): Promise<Kernel> {
  return Kernel.create({
    config: options.config,
    loggerFactory: options.loggerFactory,
    builtinPackages: builtinPackages(options.config),
    internalPlugins: [
      {
        plugin: nodePlugin,
        location: dirname(fileURLToPath(import.meta.url)),
        packageName: '@fabric-peer/node',
      },
    ],
    modules: [nodeModule(options)],
    // Built-in plugins resolve from the peer's own installation whatever the config folder.
    searchDirs: [dirname(fileURLToPath(import.meta.url))],
  });
}

export class PeerNode {
  private constructor(
    readonly kernel: Kernel,
    private readonly lifecycle: LifecycleManager,
  ) {}

  static async create(options: PeerOptions): Promise<PeerNode> {
    const kernel = await createKernel(options);
    return new PeerNode(kernel, kernel.lifecycle(STOP_TIMEOUT_MS));
  }

  /** Services in start order. */
  get services(): readonly string[] {
    return this.lifecycle.order;
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  stop(): Promise<void> {
    return this.lifecycle.stop();
  }

  /** Bound ports (useful when the configuration asks for port 0). */
  get ports(): { peer: number; chaincode: number; operations: number } {
    const c = this.kernel.container;
    return {
      peer: c.get(PeerGrpcServer).port,
      chaincode: c.get(ChaincodeGrpcServer).port,
      operations: c.get(Operations).port,
    };
  }
}
