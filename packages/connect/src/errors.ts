import * as grpc from '@grpc/grpc-js';
import { LakeboxError } from '@lakebox/common';
import { encodeMessage } from './proto.js';

/** The JVM exception classes PySpark maps to its Python exceptions, by Lakebox error code. */
function classesFor(code: string, sqlState: string | undefined): string[] {
  if (code === 'UNAUTHENTICATED' || code === 'PERMISSION_DENIED') return ['org.apache.spark.SparkSecurityException'];
  if (code === 'PYTHON_EXCEPTION') return ['org.apache.spark.api.python.PythonException'];
  if (code.startsWith('PARSE_') || code === 'PARSE_SYNTAX_ERROR')
    return ['org.apache.spark.sql.catalyst.parser.ParseException', 'org.apache.spark.sql.AnalysisException'];
  if (code === 'UNSUPPORTED_FEATURE' || sqlState === '0A000')
    return ['org.apache.spark.SparkUnsupportedOperationException', 'java.lang.UnsupportedOperationException'];
  if (code === 'USER_RAISED_EXCEPTION' || code === 'INVALID_URL') return ['org.apache.spark.SparkRuntimeException'];
  if (code === 'SQL_CONF_NOT_FOUND')
    return ['org.apache.spark.SparkNoSuchElementException', 'java.util.NoSuchElementException'];
  if (sqlState?.startsWith('22')) {
    if (code.includes('DIVIDE_BY_ZERO') || code.includes('ARITHMETIC') || code.includes('OVERFLOW'))
      return ['org.apache.spark.SparkArithmeticException', 'java.lang.ArithmeticException'];
    if (code.includes('CAST') || code.includes('NUMBER'))
      return ['org.apache.spark.SparkNumberFormatException', 'java.lang.NumberFormatException'];
    return ['org.apache.spark.SparkRuntimeException'];
  }
  if (code === 'INTERNAL_ERROR') return ['org.apache.spark.SparkException'];
  return ['org.apache.spark.sql.AnalysisException'];
}

/**
 * A gRPC error as Spark's server sends it: status INTERNAL (UNAUTHENTICATED for bad tokens, PERMISSION_DENIED for missing privileges) with a
 * google.rpc.Status detail holding an ErrorInfo whose metadata names the exception classes, the
 * error class and the SQLSTATE, which PySpark turns into AnalysisException, ParseException, ...
 */
export function toGrpcError(e: unknown): grpc.ServiceError {
  try {
    return encodeError(e);
  } catch {
    const details = e instanceof Error ? e.message : String(e);
    return Object.assign(new Error(details), { code: grpc.status.INTERNAL, details, metadata: new grpc.Metadata() });
  }
}

function encodeError(e: unknown): grpc.ServiceError {
  const le =
    e instanceof LakeboxError
      ? e
      : new LakeboxError('INTERNAL_ERROR', e instanceof Error ? e.message : String(e), { httpStatus: 500 });
  const sqlState = le.sqlState;
  const code =
    le.code === 'UNAUTHENTICATED'
      ? grpc.status.UNAUTHENTICATED
      : le.code === 'PERMISSION_DENIED'
        ? grpc.status.PERMISSION_DENIED
        : grpc.status.INTERNAL;
  const classes = classesFor(le.code, sqlState);
  let message = le.message.startsWith('[') ? le.message : `[${le.code}] ${le.message}`;
  if (sqlState && !message.includes('SQLSTATE')) message += ` SQLSTATE: ${sqlState}`;
  if (message.length > 2048) message = message.slice(0, 2045) + '...';
  const info = encodeMessage('google.rpc.ErrorInfo', {
    reason: classes[0],
    domain: 'org.apache.spark',
    // Map fields read from a descriptor set are their repeated entry messages.
    metadata: Object.entries({
      classes: JSON.stringify(classes),
      errorClass: le.code,
      ...(sqlState ? { sqlState } : {}),
      messageParameters: '{}',
    }).map(([key, value]) => ({ key, value })),
  });
  const status = encodeMessage('google.rpc.Status', {
    code,
    message,
    details: [{ type_url: 'type.googleapis.com/google.rpc.ErrorInfo', value: info }],
  });
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', status);
  return Object.assign(new Error(message), { code, details: message, metadata }) as grpc.ServiceError;
}
