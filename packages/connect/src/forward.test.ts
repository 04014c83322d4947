import * as grpc from '@grpc/grpc-js';
import { LakeboxError } from '@lakebox/common';
import { describe, expect, it } from 'vitest';
import { SparkConnectForwarder, backendOf, forwardedMetadata, parseRemote } from './forward.js';

describe('Spark Connect forwarding', () => {
  it('parses remote endpoints', () => {
    expect(parseRemote('sc://spark.internal:15010')).toEqual({ address: 'spark.internal:15010', ssl: false });
    expect(parseRemote('sc://10.0.0.5')).toMatchObject({ address: '10.0.0.5:15002' });
    expect(parseRemote('sc://h:1/;token=abc;use_ssl=true')).toEqual({ address: 'h:1', token: 'abc', ssl: true });
    expect(() => parseRemote('http://h:1')).toThrow(LakeboxError);
  });

  it('chooses the backend from the x-lakebox-backend header, else the server default', () => {
    const md = new grpc.Metadata();
    expect(backendOf(md)).toBe('embedded');
    expect(backendOf(md, 'spark')).toBe('spark');
    md.set('x-lakebox-backend', 'spark');
    expect(backendOf(md)).toBe('spark');
    md.set('x-lakebox-backend', 'embedded');
    expect(backendOf(md, 'spark')).toBe('embedded');
    md.set('x-lakebox-backend', 'cluster');
    expect(() => backendOf(md)).toThrow(/must be "embedded" or "spark"/);
  });

  it('never forwards the Lakebox token or the backend choice', () => {
    const md = new grpc.Metadata();
    md.set('authorization', 'Bearer lbx_secret');
    md.set('x-lakebox-backend', 'spark');
    md.set('x-custom', 'kept');
    md.set('user-agent', 'grpc-python');
    expect(forwardedMetadata(md, { address: 'h:1', ssl: false }).getMap()).toEqual({ 'x-custom': 'kept' });
    expect(forwardedMetadata(md, { address: 'h:1', ssl: false, token: 'remote' }).getMap()).toEqual({
      'x-custom': 'kept',
      authorization: 'Bearer remote',
    });
  });

  it('refuses a spark default backend without a remote endpoint', () => {
    const auth = () => Promise.reject(new Error('unused'));
    expect(() => new SparkConnectForwarder({ backend: 'spark' }, auth)).toThrow(/no remote Spark Connect endpoint/);
    expect(() => new SparkConnectForwarder({}, auth)).not.toThrow();
  });
});
