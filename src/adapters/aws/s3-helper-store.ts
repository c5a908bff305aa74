import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AwsCallError } from '../../errors.js';
import { awsErrorMessage } from './aws-errors.js';

export interface StoredObject {
  sha256?: string;
  size?: number;
}

/** The helper bucket: objects carry their digest in metadata and are always encrypted at rest. */
export class S3HelperStore {
  constructor(
    readonly bucket: string,
    private readonly client: S3Client = new S3Client({}),
  ) {}

  async describe(key: string): Promise<StoredObject | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { sha256: head.Metadata?.sha256, size: head.ContentLength };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw new AwsCallError(`s3:HeadObject s3://${this.bucket}/${key}: ${awsErrorMessage(error)}`);
    }
  }

  async readText(key: string): Promise<string | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await object.Body?.transformToString();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw new AwsCallError(`s3:GetObject s3://${this.bucket}/${key}: ${awsErrorMessage(error)}`);
    }
  }

  /** Uploads with SSE and the digest both in metadata and as S3's own integrity checksum. */
  async put(key: string, body: Uint8Array | string, sha256: string, contentType: string): Promise<void> {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentType: contentType,
          ServerSideEncryption: 'AES256',
          Metadata: { sha256 },
          ChecksumSHA256: createHash('sha256').update(bytes).digest('base64'),
        }),
      );
    } catch (error) {
      throw new AwsCallError(`s3:PutObject s3://${this.bucket}/${key}: ${awsErrorMessage(error)}`);
    }
  }

  presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: expiresInSeconds });
  }

  /**
   * The sha256 of the bytes actually stored (streamed, never held whole) next to the digest its metadata
   * claims, or undefined when the key is absent: metadata alone cannot show bytes swapped under it.
   */
  async readDigests(key: string): Promise<{ bytes: string; metadata?: string } | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const hash = createHash('sha256');
      for await (const chunk of (object.Body ?? []) as AsyncIterable<Uint8Array>) hash.update(chunk);
      return { bytes: hash.digest('hex'), metadata: object.Metadata?.sha256 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw new AwsCallError(`s3:GetObject s3://${this.bucket}/${key}: ${awsErrorMessage(error)}`);
    }
  }
}

/** S3 answers a missing key with 403 instead of 404 when the caller may not list the bucket: both mean "not there" here. */
function isNotFound(error: unknown): boolean {
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  return error instanceof NotFound || error instanceof NoSuchKey || status === 404 || status === 403;
}

/** Path-style addressing when an emulator endpoint is set (`bucket.localhost` does not resolve). */
export function createS3Client(env: NodeJS.ProcessEnv, region?: string): S3Client {
  return new S3Client({ region, forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL) });
}
