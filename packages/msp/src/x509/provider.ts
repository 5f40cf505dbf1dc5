/**
 * Loads @peculiar/x509 the way it needs: the Reflect polyfill before the library (its services are
 * resolved with tsyringe) and Node's WebCrypto as its crypto provider. Every module of this
 * package that uses @peculiar/x509 imports it from here.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Node's WebCrypto, typed by @types/node rather than the DOM library @peculiar/x509 expects.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
