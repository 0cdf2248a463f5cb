import { describe, expect, it } from 'vitest';
import { targetSchema } from '@filesync/core/config';
import { type HttpTargetConfig, checkFlightReviewFields, httpTargetOptionsFromConfig } from './options';

describe('httpTargetOptionsFromConfig', () => {
  it('turns a parsed http target config into options, adding the runtime parts', () => {
    const config = targetSchema.parse({
      id: 'flight-review',
      type: 'http',
      url: 'https://logs.px4.io',
      fields: { email: 'pilot@example.org', type: 'personal', allowForAnalysis: 'true' },
      maxBytes: '300MiB',
    }) as HttpTargetConfig;
    const onAttemptStart = (): void => undefined;
    const options = httpTargetOptionsFromConfig(config, { spoolDir: '/var/lib/filesync/http/flight-review', onAttemptStart });
    expect(options).toMatchObject({
      id: 'flight-review',
      mode: 'flight-review',
      url: 'https://logs.px4.io',
      fileField: 'filearg',
      maxBytes: 300 * 1024 * 1024,
      timeoutSec: 600,
      spoolDir: '/var/lib/filesync/http/flight-review',
    });
    expect(options.onAttemptStart).toBe(onAttemptStart);
    expect(() => checkFlightReviewFields(options.fields ?? {})).not.toThrow();
  });
});

describe('checkFlightReviewFields', () => {
  it('names the bad field', () => {
    expect(() => checkFlightReviewFields({ allowForAnalysis: 'yes' })).toThrow(/fields\.allowForAnalysis: expected "true" or "false"/);
    expect(() => checkFlightReviewFields({ windSpeed: 'calm' })).toThrow(/fields\.windSpeed/);
    expect(() => checkFlightReviewFields({ rating: 'meh' })).toThrow(/fields\.rating/);
    expect(() => checkFlightReviewFields({ decsription: 'typo' })).toThrow(/fields\.decsription: not a Flight Review form field/);
  });
});
