/**
 * What a proxy fleet is deployed from, read as the tools that use it would: the image definition
 * (proxy/Dockerfile), the CloudFormation template (proxy/deploy/fleet.yml, parsed with CloudFormation's
 * intrinsic tags) and `npm run package:proxy`'s output. The template's environment is fed to the proxy's
 * own config reader, and the metric it scales on is the one the proxy emits.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, type Tags } from 'yaml';
import { RETENTION_CLASSES } from '../../lib/core/recording-policy.js';
import { recordingKeyPrefix, retentionTag } from '../../lib/protocol/recording.js';
import { consoleProxyConfigFromEnv } from '../../proxy/config.js';
import { emitEmf, proxyMetrics } from '../../proxy/metrics.js';
import { PROXY_ARTEFACT_DIR } from '../../scripts/build.js';
import { packageProxy } from '../../scripts/build-proxy-package.js';
import { captureOutput } from '../support/console-fixtures.js';

const root = new URL('../..', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** CloudFormation's short-form intrinsic functions, as plain `{ Ref }` / `{ 'Fn::X': ... }` objects. */
const FUNCTIONS = ['Ref', 'Sub', 'GetAtt', 'Join', 'Select', 'Split', 'If', 'Equals', 'Not', 'And', 'Or', 'FindInMap', 'Base64', 'Cidr', 'ImportValue', 'GetAZs', 'Condition'];
const cloudFormationTags: Tags = FUNCTIONS.flatMap((name) => {
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  const scalar = (value: string) => ({ [key]: name === 'GetAtt' ? value.split('.') : value });
  return [
    { tag: `!${name}`, resolve: scalar },
    { tag: `!${name}`, collection: 'seq' as const, resolve: (seq: { toJSON(): unknown }) => ({ [key]: seq.toJSON() }) },
    { tag: `!${name}`, collection: 'map' as const, resolve: (map: { toJSON(): unknown }) => ({ [key]: map.toJSON() }) },
  ];
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const template: Any = parse(read('proxy/deploy/fleet.yml'), { customTags: cloudFormationTags });
const resourcesOf = (type: string): Any[] => Object.values(template.Resources as Record<string, Any>).filter((resource) => resource.Type === type);
const only = (type: string): Any => {
  const found = resourcesOf(type);
  expect(found, type).toHaveLength(1);
  return found[0].Properties;
};

/** Every name a Ref, GetAtt or Sub points at, anywhere in `node`. */
function referencedNames(node: unknown, names: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((item) => referencedNames(item, names));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Ref') names.push(value as string);
      else if (key === 'Fn::GetAtt') names.push((value as string[])[0]!);
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(value) ? value[0] : value;
        for (const match of (text as string).matchAll(/\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z]+)?\}/g)) names.push(match[1]!);
        if (Array.isArray(value)) referencedNames(value[1], names);
      } else referencedNames(value, names);
    }
  }
  return names;
}

describe('the proxy fleet template (proxy/deploy/fleet.yml)', () => {
  const container: Any = only('AWS::ECS::TaskDefinition').ContainerDefinitions[0];
  const environment = Object.fromEntries((container.Environment as Any[]).map(({ Name, Value }) => [Name, Value]));

  it('is a template whose every reference names a parameter, a resource or a pseudo parameter', () => {
    expect(template.AWSTemplateFormatVersion).toBe('2010-09-09');
    const known = new Set([...Object.keys(template.Parameters), ...Object.keys(template.Resources)]);
    const names = referencedNames(template.Resources).concat(referencedNames(template.Outputs));
    expect(names.length).toBeGreaterThan(20);
    expect(names.filter((name) => !known.has(name) && !name.startsWith('AWS::'))).toEqual([]);
  });

  it('runs the image on Fargate as a non-root user with a read-only root filesystem and a health check', () => {
    const task = only('AWS::ECS::TaskDefinition');
    expect(task.RequiresCompatibilities).toEqual(['FARGATE']);
    expect(task.NetworkMode).toBe('awsvpc');
    expect(only('AWS::ECS::Service').LaunchType).toBe('FARGATE');
    expect(container.ReadonlyRootFilesystem).toBe(true);
    expect(container.User).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(container.HealthCheck.Command.join(' ')).toContain(`http://127.0.0.1:${environment.CONSOLE_PROXY_PORT}/health`);
    // ECS sends SIGKILL StopTimeout seconds after SIGTERM: the drain must end first.
    expect(container.StopTimeout).toBeGreaterThan(Number(environment.CONSOLE_PROXY_SHUTDOWN_SECONDS));
    expect(container.Secrets).toEqual([{ Name: 'CONSOLE_PROXY_KEY', ValueFrom: { Ref: 'ProxyKeySecretArn' } }]);
  });

  it('sets only what the proxy reads, and the proxy accepts it', () => {
    const env = Object.fromEntries(Object.entries(environment).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : `{${(value as Any).Ref ?? (value as Any)['Fn::GetAtt'].join('.')}}`,
    ]));
    const config = consoleProxyConfigFromEnv({
      ...env,
      CONSOLE_PROXY_BASE_URL: 'https://console.example.com',
      CONSOLE_BROKER_API_URL: 'https://api.example.com',
      CONSOLE_PROXY_MAX_SESSIONS: String(template.Parameters.MaxSessionsPerTask.Default),
      CONSOLE_PROXY_EMF_SERVICE: template.Parameters.ServiceName.Default,
      CONSOLE_PROXY_KEY: 'from-secrets-manager',
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: container.PortMappings[0].ContainerPort,
      allowedOrigins: ['https://console.example.com'],
      maxSessions: 400,
      shutdownGraceMs: 25_000,
      emf: { namespace: 'ConsoleBroker/Proxy', service: 'console-proxy', intervalMs: 60_000 },
      // On AWS: the task role's credentials (none given), SSE-KMS with the stack's key, no endpoint of its own.
      recording: { bucket: '{RecordingBucket}', kmsKeyId: '{RecordingKey.Arn}' },
      recordingLimits: { queueBytesPerProxy: 256 * 1024 * 1024 },
    });
    expect(config.recording).toEqual({ bucket: '{RecordingBucket}', kmsKeyId: '{RecordingKey.Arn}' });
    // No setting the proxy would ignore (a misspelt name would silently fall back to a default).
    const source = read('proxy/config.ts');
    for (const name of Object.keys(environment).concat('CONSOLE_PROXY_KEY')) expect(source, name).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it('puts an HTTPS load balancer in front that checks /health and outlasts an idle console', () => {
    const targetGroup = only('AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(targetGroup).toMatchObject({ TargetType: 'ip', Protocol: 'HTTP', HealthCheckPath: '/health', Port: container.PortMappings[0].ContainerPort });
    const listeners = resourcesOf('AWS::ElasticLoadBalancingV2::Listener').map((listener) => listener.Properties);
    expect(listeners.find((listener) => listener.Protocol === 'HTTPS')).toMatchObject({ Port: 443, Certificates: [{ CertificateArn: { Ref: 'CertificateArn' } }] });
    const attributes = Object.fromEntries((only('AWS::ElasticLoadBalancingV2::LoadBalancer').LoadBalancerAttributes as Any[]).map(({ Key, Value }) => [Key, Value]));
    expect(Number(attributes['idle_timeout.timeout_seconds'])).toBeGreaterThan(Number(environment.CONSOLE_PROXY_IDLE_SECONDS));
  });

  describe('the recording bucket', () => {
    const bucketName = Object.entries(template.Resources as Record<string, Any>).find(([, resource]) => resource.Type === 'AWS::S3::Bucket')![0];
    const bucket = only('AWS::S3::Bucket');
    const keyName = Object.entries(template.Resources as Record<string, Any>).find(([, resource]) => resource.Type === 'AWS::KMS::Key')![0];

    it('is encrypted with a KMS key of its own, rotated, with S3 Bucket Keys', () => {
      expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyName, 'Arn'] } }, BucketKeyEnabled: true },
      ]);
      expect(only('AWS::KMS::Key').EnableKeyRotation).toBe(true);
      expect(environment.CONSOLE_PROXY_RECORDING_BUCKET).toEqual({ Ref: bucketName });
      expect(environment.CONSOLE_PROXY_RECORDING_KMS_KEY_ID).toEqual({ 'Fn::GetAtt': [keyName, 'Arn'] });
    });

    it('is never public, answers over TLS only, and keeps no versions', () => {
      expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      expect(bucket.VersioningConfiguration).toBeUndefined();
      const policy = only('AWS::S3::BucketPolicy');
      expect(policy.Bucket).toEqual({ Ref: bucketName });
      expect(policy.PolicyDocument.Statement).toContainEqual(expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [{ 'Fn::GetAtt': [bucketName, 'Arn'] }, { 'Fn::Sub': `\${${bucketName}.Arn}/*` }],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }));
    });

    it('expires each object by its retention-days tag, one rule per retention class, and aborts stale uploads after a day', () => {
      const rules: Any[] = bucket.LifecycleConfiguration.Rules;
      const expiring = rules.filter((rule) => rule.ExpirationInDays !== undefined);
      // The API's retention classes (lib/core/recording-policy.ts): a policy can only name a class the bucket expires.
      expect(expiring.map((rule) => rule.ExpirationInDays)).toEqual([...RETENTION_CLASSES]);
      for (const rule of expiring) {
        expect(rule).toEqual({
          Id: `retention-${rule.ExpirationInDays}-days`,
          Status: 'Enabled',
          Prefix: 'recordings/',
          // The tag the proxy puts on every object (lib/protocol/recording.ts retentionTag).
          TagFilters: [{ Key: retentionTag(rule.ExpirationInDays).split('=')[0], Value: retentionTag(rule.ExpirationInDays).split('=')[1] }],
          ExpirationInDays: rule.ExpirationInDays,
        });
      }
      expect(rules.filter((rule) => rule.ExpirationInDays === undefined)).toEqual([
        { Id: 'abort-incomplete-multipart', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
      ]);
    });

    it('lets the task write, tag, read and list recordings/ only, and use that key only to encrypt and decrypt', () => {
      const role = template.Resources[only('AWS::ECS::TaskDefinition').TaskRoleArn['Fn::GetAtt'][0]];
      const statements: Any[] = role.Properties.Policies.flatMap((policy: Any) => policy.PolicyDocument.Statement);
      expect(statements).toEqual([
        { Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectTagging', 's3:GetObject'], Resource: { 'Fn::Sub': `\${${bucketName}.Arn}/recordings/*` } },
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [bucketName, 'Arn'] }, Condition: { StringLike: { 's3:prefix': 'recordings/*' } } },
        { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: { 'Fn::GetAtt': [keyName, 'Arn'] } },
      ]);
      // Every key the proxy writes is under recordings/ (lib/protocol/recording.ts).
      expect(recordingKeyPrefix('acme', 'vm-101', '00000000-0000-4000-8000-000000000000')).toMatch(/^recordings\//);
    });
  });

  it('scales on the open sessions each task reports, under the metric the proxy emits', () => {
    const policy = only('AWS::ApplicationAutoScaling::ScalingPolicy');
    expect(policy.PolicyType).toBe('TargetTrackingScaling');
    const metric = policy.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification;
    expect(metric).toMatchObject({ MetricName: 'OpenSessions', Statistic: 'Average', Dimensions: [{ Name: 'ServiceName', Value: { Ref: 'ServiceName' } }] });
    expect(environment.CONSOLE_PROXY_EMF_SERVICE).toEqual({ Ref: 'ServiceName' });

    // The proxy's own EMF line, as CloudWatch Logs reads it.
    const lines: string[] = [];
    const restore = captureOutput((text) => lines.push(text));
    const stop = emitEmf(proxyMetrics(() => 3), { namespace: environment.CONSOLE_PROXY_EMF_NAMESPACE, service: 'console-proxy', intervalMs: 60_000 });
    stop();
    restore();
    const emf = lines.map((line) => line.trim()).filter((line) => line.startsWith('{"_aws"')).map((line) => JSON.parse(line))[0];
    expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: metric.Namespace, Dimensions: [['ServiceName']] });
    expect(emf._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: metric.MetricName, Unit: metric.Unit });
    expect(emf).toMatchObject({ ServiceName: 'console-proxy', [metric.MetricName]: 3 });
  });
});

describe('the proxy image (proxy/Dockerfile)', () => {
  const dockerfile = read('proxy/Dockerfile').replace(/\\\n/g, ' ');
  const instructions = dockerfile.split('\n').filter((line) => line.trim() && !line.startsWith('#')).map((line) => line.trim());
  const instruction = (name: string) => instructions.filter((line) => line.startsWith(`${name} `)).map((line) => line.slice(name.length + 1).trim());

  it('copies the artefact the build makes, runs it with plain Node as a non-root user, and checks /health', () => {
    expect(instruction('FROM')).toEqual([expect.stringMatching(/^node:24[-.]/)]);
    expect(instruction('COPY')).toEqual([`${PROXY_ARTEFACT_DIR}/ /opt/console-proxy/`]);
    expect(read('.dockerignore').split('\n')).toContain(`!${PROXY_ARTEFACT_DIR}/`);
    const [user] = instruction('USER');
    expect(user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    expect(instruction('CMD')).toEqual(['["node", "main.mjs"]']);
    const port = /CONSOLE_PROXY_PORT=(\d+)/.exec(instruction('ENV').join(' '))?.[1];
    expect(port).toBe('6080');
    expect(instruction('HEALTHCHECK').join(' ')).toContain(`http://127.0.0.1:${port}/health`);
    expect(instruction('STOPSIGNAL')).toEqual(['SIGTERM']);
    // Nothing is written at run time: no VOLUME is needed, so a read-only root filesystem works.
    expect(instruction('VOLUME')).toEqual([]);
  });
});

describe('npm run package:proxy', () => {
  const work = mkdtempSync(join(tmpdir(), 'proxy-package-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('makes the artefact tarball, the template and their checksums', async () => {
    const made = await packageProxy(join(work, 'out'), join(work, 'proxy'));
    const listing = execFileSync('tar', ['-tzf', made.tarball], { encoding: 'utf8' }).split('\n');
    expect(listing).toEqual(expect.arrayContaining(['proxy/main.mjs', 'proxy/public/console.html', 'proxy/novnc/core/rfb.js', 'proxy/novnc/LICENSE.txt']));
    expect(listing.some((entry) => entry.includes('node_modules'))).toBe(false);
    expect(readFileSync(made.template, 'utf8')).toBe(read('proxy/deploy/fleet.yml'));
    const sums = readFileSync(join(made.outDir, 'SHA256SUMS'), 'utf8');
    expect(sums).toContain(`${createHash('sha256').update(readFileSync(made.tarball)).digest('hex')}  ${made.tarball.split('/').pop()}`);
    expect(made.tarballBytes).toBeLessThan(made.artefactBytes);
  });
});
