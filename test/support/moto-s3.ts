// In-process tests of snapshot mode against moto: the process pointed at moto
// (SSM and S3) for the file, a client to seed parameters, an S3 client and the
// snapshot bucket; the environment is restored and the clients destroyed after.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { fileFixture } from './file-fixture';
import { globalMotoEndpoint, seedingClient, useMoto } from './moto-ssm';

/** An S3 client on moto: path-style addressing, dummy credentials. */
export function motoS3Client(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
}

export interface SnapshotMoto {
  readonly endpoint: string;
  /** Seeds parameters. */
  readonly seed: SSMClient;
  readonly s3: S3Client;
}

/** Declares the file's moto (call it at the top level: it adds the beforeAll and afterAll) with `bucket` created. */
export function useSnapshotMoto(bucket: string): SnapshotMoto {
  const savedEnv = { ...process.env };
  return fileFixture(
    async () => {
      const endpoint = globalMotoEndpoint();
      useMoto(endpoint);
      process.env.AWS_ENDPOINT_URL_S3 = endpoint;
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
      const moto = { endpoint, seed: seedingClient(endpoint), s3: motoS3Client(endpoint) };
      await moto.s3.send(new CreateBucketCommand({ Bucket: bucket }));
      return moto;
    },
    ({ seed, s3 }) => {
      seed.destroy();
      s3.destroy();
      process.env = savedEnv;
    },
  );
}
