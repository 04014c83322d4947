import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { LakeboxError } from '@lakebox/common';
import { toGrpcError } from './errors.js';

describe('toGrpcError', () => {
  it('answers a missing privilege with gRPC PERMISSION_DENIED and the error class PySpark reads', () => {
    const e = toGrpcError(
      new LakeboxError('PERMISSION_DENIED', "User does not have SELECT on Table 'a.b.c'.", { sqlState: '42501' }),
    );
    expect(e.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(e.details).toContain('[PERMISSION_DENIED]');
    const detail = e.metadata.get('grpc-status-details-bin')[0] as Buffer;
    expect(detail.toString('latin1')).toContain('errorClass');
    expect(detail.toString('latin1')).toContain('PERMISSION_DENIED');
  });

  it('keeps INTERNAL for other errors and UNAUTHENTICATED for bad tokens', () => {
    expect(toGrpcError(new LakeboxError('TABLE_OR_VIEW_NOT_FOUND', 'x')).code).toBe(grpc.status.INTERNAL);
    expect(toGrpcError(new LakeboxError('UNAUTHENTICATED', 'x')).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('names SparkRuntimeException for raise_error/assert_true (USER_RAISED_EXCEPTION), as Spark does', () => {
    const e = toGrpcError(new LakeboxError('USER_RAISED_EXCEPTION', 'too big', { sqlState: 'P0001' }));
    const detail = (e.metadata.get('grpc-status-details-bin')[0] as Buffer).toString('latin1');
    expect(detail).toContain('org.apache.spark.SparkRuntimeException');
    expect(detail).not.toContain('AnalysisException');
  });
});
