import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { AppError, ErrorCode } from '../platform/errors.ts';

export interface UploadForm {
  fields: Record<string, string>;
  file: { bytes: Buffer; fileName: string };
}

/**
 * Reads a `multipart/form-data` upload: a few short text fields and one file of at most `maxBytes`
 * (held in memory: this path is for small files and single chunks). A larger file is refused with
 * 070101 as soon as it passes the limit, without reading the rest into memory.
 */
export function readUploadForm(request: IncomingMessage, maxBytes: number): Promise<UploadForm> {
  if (!(request.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data'))
    return Promise.reject(
      new AppError(ErrorCode.INVALID_PARAMS, {
        detail: 'body must be multipart/form-data with a file field',
      }),
    );
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        // One byte over the limit tells a file of exactly maxBytes from a larger one.
        limits: { fields: 10, fieldSize: 1024, files: 1, fileSize: maxBytes + 1, parts: 11 },
      });
    } catch (error) {
      reject(
        new AppError(ErrorCode.INVALID_PARAMS, { detail: `bad multipart body: ${(error as Error).message}` }),
      );
      return;
    }
    const fields: Record<string, string> = {};
    let file: UploadForm['file'] | undefined;
    let failure: AppError | undefined;
    const fail = (error: AppError) => {
      failure ??= error;
      // Stop reading: the client learns at once, and nothing more is held.
      request.unpipe(parser);
      request.resume();
      reject(failure);
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated)
        fail(new AppError(ErrorCode.INVALID_PARAMS, { detail: `field ${name} is too long` }));
      else fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file') {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () =>
        fail(
          new AppError(ErrorCode.FILE_TOO_LARGE, {
            detail: `larger than ${maxBytes} bytes`,
            data: { maxBytes },
          }),
        ),
      );
      stream.on('close', () => {
        if (!failure) file = { bytes: Buffer.concat(chunks), fileName: info.filename ?? 'file' };
      });
    });
    parser.on('error', (error: Error) =>
      fail(new AppError(ErrorCode.INVALID_PARAMS, { detail: `bad multipart body: ${error.message}` })),
    );
    parser.on('close', () => {
      if (failure) return;
      if (!file) reject(new AppError(ErrorCode.INVALID_PARAMS, { detail: 'the form has no file field' }));
      else resolve({ fields, file });
    });
    request.pipe(parser);
  });
}
