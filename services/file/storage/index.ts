import { createHash, randomBytes } from 'node:crypto';
import type { FileConfig } from '../../platform/file-config.ts';
import type { RawHandler } from '../../platform/http/routes.ts';
import { LOCAL_STORE_PATH, LocalStore } from './local-store.ts';
import { localStoreHandler } from './local-store-http.ts';
import type { ObjectStore } from './port.ts';
import { S3Store } from './s3-store.ts';
import { UrlSigner } from './url-signer.ts';

export * from './port.ts';

/** The configured object store, and for the local one the handler of its signed URLs. */
export function createObjectStore(
  config: FileConfig,
  publicUrl: () => string,
): { store: ObjectStore; rawHandlers: RawHandler[] } {
  const { storage } = config;
  if (storage.type === 's3') return { store: new S3Store(storage), rawHandlers: [] };
  // Without a configured key, URLs are valid in this process only (one embedded process: enough).
  const secret = config.urlSigningKey
    ? createHash('sha256').update(config.urlSigningKey).digest()
    : randomBytes(32);
  const signer = new UrlSigner(secret);
  const store = new LocalStore({ root: storage.dir, signer, publicUrl });
  const largest = Math.max(...Object.values(config.maxBytes));
  return {
    store,
    rawHandlers: [{ pathPrefix: `${LOCAL_STORE_PATH}/`, handle: localStoreHandler(store, signer, largest) }],
  };
}
