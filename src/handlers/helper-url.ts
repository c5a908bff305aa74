import { createS3Client, S3HelperStore } from '../adapters/aws/s3-helper-store.js';
import { loadRuntimeConfig } from '../config/runtime.js';
import type { Config, HelperConfig } from '../config/schema.js';
import { checksumKey, helperKey, parseSha256File, pinnedDigest } from '../core/helper/artifacts.js';
import { type HelperRequest, HelperRequestError, parseHelperRequest } from '../core/helper/request.js';
import { configuredRegistryHosts, homeFromArn } from '../domain/hosts.js';
import { AccessDeniedError, describeError } from '../errors.js';
import { helperRequestMetric } from '../observability/metrics.js';
import { buildObservability } from '../observability/setup.js';

/** The parts of a Lambda Function URL (payload 2.0) event this handler reads. */
export interface FunctionUrlEvent {
  rawQueryString?: string;
  queryStringParameters?: Record<string, string | undefined>;
  headers?: Record<string, string | undefined>;
  requestContext?: {
    requestId?: string;
    http?: { method?: string; sourceIp?: string };
    authorizer?: { iam?: { userArn?: string; accountId?: string; callerId?: string } };
  };
}

export interface FunctionUrlResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

interface HelperSetup {
  helper: HelperConfig;
  registries: Config['registries'];
  store: S3HelperStore;
}

let cached: HelperSetup | undefined;

async function helperSetup(): Promise<HelperSetup> {
  if (!cached) {
    const config = await loadRuntimeConfig(process.env);
    const helper = config.helper;
    if (!helper) throw new HelperRequestError(500, 'the helper section is missing from the refresher config');
    const bucket = helper.bucket ?? process.env.HELPER_BUCKET;
    if (!bucket) throw new HelperRequestError(500, 'no helper bucket: set helper.bucket in the config or HELPER_BUCKET');
    cached = { helper, registries: config.registries, store: new S3HelperStore(bucket, createS3Client(process.env)) };
  }
  return cached;
}

/** For tests: forget the config and client built from an earlier environment. */
export function resetHelperUrlCache(): void {
  cached = undefined;
}

/**
 * GET /?arch=amd64|arm64[&version=V][&format=json] → 302 to a short-lived presigned URL of a verified
 * copy of docker-credential-ecr-login (or JSON with `Accept: application/json`); HEAD answers the same
 * without a body. Behind a Function URL with AWS_IAM auth: only signed callers with
 * lambda:InvokeFunctionUrl get here.
 */
export async function handler(event: FunctionUrlEvent, context: { awsRequestId?: string; invokedFunctionArn?: string } = {}): Promise<FunctionUrlResult> {
  const caller = event.requestContext?.authorizer?.iam;
  const { logger } = buildObservability({
    env: process.env,
    writeLog: (line) => process.stdout.write(`${line}\n`),
    defaultLogLevel: 'info',
    correlationId: context.awsRequestId ?? event.requestContext?.requestId ?? 'local',
  });
  const who = { callerArn: caller?.userArn, callerAccount: caller?.accountId, sourceIp: event.requestContext?.http?.sourceIp };
  const answer = (result: FunctionUrlResult): FunctionUrlResult => {
    process.stdout.write(`${JSON.stringify(helperRequestMetric(result.statusCode, process.env.STAGE ?? 'local', new Date()))}\n`);
    return result;
  };
  const method = event.requestContext?.http?.method ?? 'GET';
  // HEAD is GET without the body (RFC 9110): the same checks, status and headers.
  const respond = (result: FunctionUrlResult) => answer(method === 'HEAD' ? { ...result, body: '' } : result);
  try {
    if (method !== 'GET' && method !== 'HEAD') throw new HelperRequestError(405, `method ${method} is not allowed; use GET (or HEAD)`);
    const { helper, registries, store } = await helperSetup();
    const request = parseHelperRequest(event.queryStringParameters ?? {}, header(event, 'accept'), helper);
    const sha256 = await verifiedDigest(store, helper, request);
    const url = await store.presignGet(helperKey(request.version, request.arch), helper.urlExpirySeconds);
    const expiresAt = new Date(Date.now() + helper.urlExpirySeconds * 1000).toISOString();
    // The URL itself is a bearer credential for its lifetime: it is returned, never logged.
    logger.info('helper served', { ...who, version: request.version, arch: request.arch, sha256, expiresAt });
    if (request.json) {
      // The registry hosts this deployment manages, for the runner's credHelpers (no list to keep by hand).
      const home = homeFromArn(context.invokedFunctionArn) ?? { accountId: caller?.accountId ?? '', partition: 'aws' };
      const hosts = configuredRegistryHosts(registries, home);
      return respond(json(200, { url, sha256, version: request.version, arch: request.arch, expiresAt, hosts }));
    }
    return respond({ statusCode: 302, headers: { Location: url, 'X-Checksum-Sha256': sha256, 'Cache-Control': 'no-store' }, body: '' });
  } catch (error) {
    const status = error instanceof HelperRequestError ? error.statusCode : 500;
    const message = error instanceof HelperRequestError ? error.message : 'internal error; see the function logs';
    logger[status >= 500 ? 'error' : 'warn']('helper request refused', { ...who, status, error: describeError(error) });
    const extra: Record<string, string> = status === 405 ? { Allow: 'GET, HEAD' } : {};
    return respond(json(status, { error: message }, extra));
  }
}

/**
 * The digest to hand out: the object's metadata and its .sha256 file must agree, and match the
 * pinned digest when one is known. Anything else means the bucket was tampered with.
 */
async function verifiedDigest(store: S3HelperStore, helper: HelperConfig, request: HelperRequest): Promise<string> {
  const key = helperKey(request.version, request.arch);
  const object = await store.describe(key);
  if (!object)
    throw new HelperRequestError(
      404,
      `${request.version}/linux-${request.arch} is not published; run: ecr-gitlab-refresher helper publish --version ${request.version} --arch ${request.arch} (if it is, this function may not list the bucket: it needs s3:ListBucket)`,
    );
  const fromFile = parseSha256File((await readChecksumFile(store, checksumKey(request.version, request.arch))) ?? '');
  const pinned = pinnedDigest(request.version, request.arch, helper);
  if (!object.sha256 || !fromFile || object.sha256 !== fromFile || (pinned && pinned !== object.sha256)) {
    throw new HelperRequestError(409, `stored digest of ${request.version}/linux-${request.arch} does not match its checksum file or the pinned digest; republish it`);
  }
  return object.sha256;
}

/** The .sha256 file; S3 refusing it is this function's permission problem (500), not a tampered bucket (409). */
async function readChecksumFile(store: S3HelperStore, key: string): Promise<string | undefined> {
  try {
    return await store.readText(key);
  } catch (error) {
    if (!(error instanceof AccessDeniedError)) throw error;
    throw new HelperRequestError(
      500,
      `S3 refused to let this function read ${key} (403): its role needs s3:GetObject on that key, and s3:ListBucket on the bucket (without it a missing file is refused the same way)`,
    );
  }
}

function header(event: FunctionUrlEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  return headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): FunctionUrlResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers }, body: JSON.stringify(body) };
}
