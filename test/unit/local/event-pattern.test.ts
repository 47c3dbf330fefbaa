/**
 * Fixtures and patterns are quoted from the Amazon EventBridge user guide: "Event patterns", "Content
 * filtering in event patterns", "Comparison operators for use in event patterns", "Arrays in event patterns"
 * and "Matching null values and empty strings". Where the guide gives a pattern without an event, the event
 * is the smallest one that exercises it. A few cases come from the README of aws/event-ruler, the engine
 * EventBridge runs, and say so.
 */
import { type EventPattern, matchesPattern, validatePattern } from '../../../local/event-pattern';
import { busRules } from '../../../shared/platform/definitions';
import autoscalingLaunch from '../../fixtures/eventbridge/autoscaling-launch-successful.json';
import ec2Pending from '../../fixtures/eventbridge/ec2-instance-pending.json';
import ec2RunningCounts from '../../fixtures/eventbridge/ec2-instance-running-counts.json';
import ec2Terminated from '../../fixtures/eventbridge/ec2-instance-terminated.json';
import macieAlert from '../../fixtures/eventbridge/macie-alert.json';

/** A full EventBridge envelope around `detail`, for the guide's field-level examples. */
function envelope(detail: Record<string, unknown>, overrides: Record<string, unknown> = {}): unknown {
  return {
    version: '0',
    id: '11111111-2222-3333-4444-555555555555',
    'detail-type': 'Example',
    source: 'com.example',
    account: '123456789012',
    time: '2024-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
    ...overrides,
  };
}

/** Every pattern from the guide used below; all of them must pass validation. */
const docPatterns: Record<string, EventPattern> = {
  ec2Terminated: {
    source: ['aws.ec2'],
    'detail-type': ['EC2 Instance State-change Notification'],
    detail: { state: ['terminated'] },
  },
  multipleSources: { source: ['aws.ec2', 'aws.fargate'] },
  responseElementsNull: {
    source: ['aws.autoscaling'],
    'detail-type': ['EC2 Instance Launch Successful'],
    detail: { responseElements: [null] },
  },
  eventVersionEmpty: { detail: { eventVersion: [''] } },
  macieRisk: {
    source: ['aws.macie'],
    'detail-type': ['Macie Alert'],
    detail: { 'risk-score': [80], trigger: { risk: [8] } },
  },
  resources: {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  },
  and: { detail: { Location: ['New York'], Day: ['Monday'] } },
  timePrefix: { time: [{ prefix: '2017-10-02' }] },
  regionPrefix: { detail: { Region: [{ prefix: 'us-' }] } },
  prefixIgnoreCase: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
  suffix: { detail: { FileName: [{ suffix: '.png' }] } },
  suffixIgnoreCase: { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
  suffixIgnoreCaseService: { detail: { service: [{ suffix: { 'equals-ignore-case': 'tBridge' } }] } },
  equals: { detail: { Name: ['Alice'] } },
  equalsIgnoreCase: { detail: { Name: [{ 'equals-ignore-case': 'alice' }] } },
  empty: { detail: { LastName: [''] } },
  nullValue: { detail: { UserID: [null] } },
  wildcard: { detail: { FileName: [{ wildcard: 'dir/*.png' }] } },
  anythingButString: { detail: { state: [{ 'anything-but': 'initializing' }] } },
  anythingButNumber: { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
  anythingButStrings: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
  anythingButNumbers: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
  anythingButPrefix: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
  anythingButRegionPrefix: { detail: { Region: [{ 'anything-but': { prefix: 'us-' } }] } },
  anythingButSuffix: { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } },
  anythingButIgnoreCase: {
    detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] },
  },
  anythingButWildcard: { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
  not: { detail: { Weather: [{ 'anything-but': ['Raining'] }] } },
  numericEquals: { detail: { Price: [{ numeric: ['=', 100] }] } },
  numericRange: { detail: { Price: [{ numeric: ['>', 10, '<=', 20] }] } },
  numericCounts: {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  },
  cidr: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
  stateExists: { detail: { state: [{ exists: true }] } },
  cCountMissing: { detail: { 'c-count': [{ exists: false }] } },
  productExists: { detail: { ProductName: [{ exists: true }] } },
  productMissing: { detail: { ProductName: [{ exists: false }] } },
  paymentType: { detail: { PaymentType: ['Credit', 'Debit'] } },
  or: { detail: { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] } },
  complex: {
    time: [{ prefix: '2017-10-02' }],
    detail: {
      state: [{ 'anything-but': 'initializing' }],
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ 'anything-but': [100, 200, 300] }],
    },
  },
};

function doc(name: string): EventPattern {
  const pattern = docPatterns[name];
  if (!pattern) throw new Error(`no doc pattern named ${name}`);
  return pattern;
}

describe('matchesPattern', () => {
  describe('field and value matching', () => {
    it('matches the EC2 instance-termination example', () => {
      expect(matchesPattern(doc('ec2Terminated'), ec2Terminated)).toBe(true);
    });

    it('does not match the EC2 example when the nested state differs', () => {
      const running = { ...ec2Terminated, detail: { ...ec2Terminated.detail, state: 'running' } };
      expect(matchesPattern(doc('ec2Terminated'), running)).toBe(false);
    });

    it('treats several values listed for a field as OR', () => {
      expect(matchesPattern(doc('multipleSources'), { ...ec2Terminated, source: 'aws.fargate' })).toBe(true);
      expect(matchesPattern(doc('multipleSources'), { ...ec2Terminated, source: 'aws.ecs' })).toBe(false);
    });

    it('requires every field of the pattern (AND)', () => {
      expect(matchesPattern(doc('and'), envelope({ Location: 'New York', Day: 'Monday' }))).toBe(true);
      expect(matchesPattern(doc('and'), envelope({ Location: 'New York', Day: 'Tuesday' }))).toBe(false);
    });

    it('does not match when a field named in the pattern is absent from the event', () => {
      expect(matchesPattern(doc('and'), envelope({ Location: 'New York' }))).toBe(false);
      expect(matchesPattern(doc('ec2Terminated'), { ...ec2Terminated, detail: undefined })).toBe(false);
    });

    it('ignores event fields that the pattern does not name', () => {
      expect(matchesPattern({ source: ['aws.ec2'] }, ec2Terminated)).toBe(true);
    });

    it('compares strings exactly, without case folding', () => {
      expect(matchesPattern(doc('equals'), envelope({ Name: 'Alice' }))).toBe(true);
      expect(matchesPattern(doc('equals'), envelope({ Name: 'alice' }))).toBe(false);
    });

    it('matches numbers and nested objects (Macie example)', () => {
      expect(matchesPattern(doc('macieRisk'), macieAlert)).toBe(true);
      const lowRisk = {
        ...macieAlert,
        detail: { ...macieAlert.detail, trigger: { ...macieAlert.detail.trigger, risk: 7 } },
      };
      expect(matchesPattern(doc('macieRisk'), lowRisk)).toBe(false);
    });

    it('keeps JSON types apart: a string never equals a number', () => {
      const asString = { ...macieAlert, detail: { ...macieAlert.detail, 'risk-score': '80' } };
      expect(matchesPattern(doc('macieRisk'), asString)).toBe(false);
      expect(matchesPattern({ detail: { 'risk-score': ['80'] } }, macieAlert)).toBe(false);
    });

    it('matches booleans exactly', () => {
      expect(matchesPattern({ detail: { enabled: [true] } }, envelope({ enabled: true }))).toBe(true);
      expect(matchesPattern({ detail: { enabled: [true] } }, envelope({ enabled: false }))).toBe(false);
      expect(matchesPattern({ detail: { enabled: [true] } }, envelope({ enabled: 'true' }))).toBe(false);
    });

    it('matches null and the empty string, which are not interchangeable', () => {
      expect(matchesPattern(doc('responseElementsNull'), autoscalingLaunch)).toBe(true);
      expect(matchesPattern(doc('eventVersionEmpty'), autoscalingLaunch)).toBe(true);
      expect(matchesPattern({ detail: { eventVersion: [null] } }, autoscalingLaunch)).toBe(false);
      expect(matchesPattern({ detail: { responseElements: [''] } }, autoscalingLaunch)).toBe(false);
    });

    it('matches the empty and null examples of the operator table', () => {
      expect(matchesPattern(doc('empty'), envelope({ LastName: '' }))).toBe(true);
      expect(matchesPattern(doc('empty'), envelope({ LastName: 'Doe' }))).toBe(false);
      expect(matchesPattern(doc('nullValue'), envelope({ UserID: null }))).toBe(true);
      expect(matchesPattern(doc('nullValue'), envelope({ UserID: 'u-1' }))).toBe(false);
      expect(matchesPattern(doc('nullValue'), envelope({}))).toBe(false);
    });

    it('does not let a pattern match an object-valued field as a leaf', () => {
      expect(matchesPattern({ detail: ['x'] }, envelope({ a: 1 }))).toBe(false);
    });
  });

  describe('arrays', () => {
    it('matches when the pattern values and an event array intersect (resources example)', () => {
      const event = {
        ...ec2Terminated,
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        ],
      };
      expect(matchesPattern(doc('resources'), event)).toBe(true);
    });

    it('does not match when no element of the event array is listed', () => {
      expect(matchesPattern(doc('resources'), ec2Terminated)).toBe(false);
      expect(matchesPattern(doc('resources'), autoscalingLaunch)).toBe(false);
    });

    it('applies operators to every element of an event array', () => {
      expect(matchesPattern({ detail: { tags: [{ prefix: 'Ins' }] } }, macieAlert)).toBe(true);
      expect(matchesPattern({ detail: { tags: [{ prefix: 'Out' }] } }, macieAlert)).toBe(false);
    });

    it('matches an object pattern against one element of an array of objects (event-ruler README)', () => {
      const event = envelope({
        employees: [
          { firstName: 'John', lastName: 'Doe' },
          { firstName: 'Anna', lastName: 'Smith' },
          { firstName: 'Peter', lastName: 'Jones' },
        ],
      });
      expect(matchesPattern({ detail: { employees: { firstName: ['Anna'] } } }, event)).toBe(true);
      expect(
        matchesPattern({ detail: { employees: { firstName: ['Anna'], lastName: ['Smith'] } } }, event),
      ).toBe(true);
    });

    it('does not combine fields from different elements of an event array (event-ruler README)', () => {
      const event = envelope({
        employees: [
          [
            { firstName: 'John', lastName: 'Doe' },
            { firstName: 'Anna', lastName: 'Smith' },
          ],
          [{ firstName: 'Peter', lastName: 'Jones' }],
        ],
      });
      expect(matchesPattern({ detail: { employees: { firstName: ['Anna'] } } }, event)).toBe(true);
      expect(
        matchesPattern({ detail: { employees: { firstName: ['Anna'], lastName: ['Jones'] } } }, event),
      ).toBe(false);
    });
  });

  describe('prefix', () => {
    it('matches a string that starts with the prefix', () => {
      expect(matchesPattern(doc('timePrefix'), { ...ec2Terminated, time: '2017-10-02T18:43:48Z' })).toBe(
        true,
      );
      expect(matchesPattern(doc('regionPrefix'), envelope({ Region: 'us-east-1' }))).toBe(true);
    });

    it('does not match a string with another prefix', () => {
      expect(matchesPattern(doc('timePrefix'), ec2Terminated)).toBe(false);
      expect(matchesPattern(doc('regionPrefix'), envelope({ Region: 'eu-west-1' }))).toBe(false);
    });

    it('does not apply a prefix to numbers', () => {
      expect(matchesPattern({ detail: { code: [{ prefix: '4' }] } }, envelope({ code: 404 }))).toBe(false);
    });

    it('matches a prefix ignoring case', () => {
      const pattern = doc('prefixIgnoreCase');
      expect(matchesPattern(pattern, envelope({ service: 'EventBridge' }))).toBe(true);
      expect(matchesPattern(pattern, envelope({ service: 'EVENTBRIDGE' }))).toBe(true);
      expect(matchesPattern(pattern, envelope({ service: 'eventbridge' }))).toBe(true);
      expect(matchesPattern(pattern, envelope({ service: 'Bridge' }))).toBe(false);
    });
  });

  describe('suffix', () => {
    it('matches a string that ends with the suffix', () => {
      expect(matchesPattern(doc('suffix'), envelope({ FileName: 'image.png' }))).toBe(true);
    });

    it('does not match a string with another ending or another case', () => {
      expect(matchesPattern(doc('suffix'), envelope({ FileName: 'image.jpg' }))).toBe(false);
      expect(matchesPattern(doc('suffix'), envelope({ FileName: 'image.PNG' }))).toBe(false);
    });

    it('matches a suffix ignoring case', () => {
      expect(matchesPattern(doc('suffixIgnoreCase'), envelope({ FileName: 'image.PNG' }))).toBe(true);
      expect(matchesPattern(doc('suffixIgnoreCaseService'), envelope({ service: 'EVENTBRIDGE' }))).toBe(true);
      expect(matchesPattern(doc('suffixIgnoreCase'), envelope({ FileName: 'image.gif' }))).toBe(false);
    });
  });

  describe('equals-ignore-case', () => {
    it('matches a string in any case', () => {
      expect(matchesPattern(doc('equalsIgnoreCase'), envelope({ Name: 'Alice' }))).toBe(true);
      expect(matchesPattern(doc('equalsIgnoreCase'), envelope({ Name: 'ALICE' }))).toBe(true);
    });

    it('does not match a different string', () => {
      expect(matchesPattern(doc('equalsIgnoreCase'), envelope({ Name: 'Alicia' }))).toBe(false);
    });
  });

  describe('wildcard', () => {
    it('matches any run of characters in place of the asterisk', () => {
      expect(matchesPattern(doc('wildcard'), envelope({ FileName: 'dir/image.png' }))).toBe(true);
      expect(matchesPattern(doc('wildcard'), envelope({ FileName: 'dir/.png' }))).toBe(true);
      expect(matchesPattern(doc('wildcard'), envelope({ FileName: 'dir/sub/image.png' }))).toBe(true);
    });

    it('does not match outside the literal parts', () => {
      expect(matchesPattern(doc('wildcard'), envelope({ FileName: 'other/image.png' }))).toBe(false);
      expect(matchesPattern(doc('wildcard'), envelope({ FileName: 'dir/image.png.bak' }))).toBe(false);
    });

    it('handles several wildcards and overlapping literals', () => {
      const pattern = { detail: { title: [{ wildcard: '*Title*' }] } };
      expect(matchesPattern(pattern, envelope({ title: 'My Title here' }))).toBe(true);
      expect(matchesPattern(pattern, envelope({ title: 'My title here' }))).toBe(false);
      const overlapping = { detail: { v: [{ wildcard: 'ab*ba' }] } };
      expect(matchesPattern(overlapping, envelope({ v: 'aba' }))).toBe(false);
      expect(matchesPattern(overlapping, envelope({ v: 'abba' }))).toBe(true);
    });

    it('treats an escaped asterisk as a literal', () => {
      const pattern = { detail: { v: [{ wildcard: 'a\\*b' }] } };
      expect(matchesPattern(pattern, envelope({ v: 'a*b' }))).toBe(true);
      expect(matchesPattern(pattern, envelope({ v: 'axb' }))).toBe(false);
    });
  });

  describe('anything-but', () => {
    it('matches anything but a string', () => {
      expect(matchesPattern(doc('anythingButString'), envelope({ state: 'running' }))).toBe(true);
      expect(matchesPattern(doc('anythingButString'), envelope({ state: 'initializing' }))).toBe(false);
    });

    it('matches anything but a number', () => {
      expect(matchesPattern(doc('anythingButNumber'), envelope({ 'x-limit': 124 }))).toBe(true);
      expect(matchesPattern(doc('anythingButNumber'), envelope({ 'x-limit': 123 }))).toBe(false);
    });

    it('matches anything but a list of strings', () => {
      expect(matchesPattern(doc('anythingButStrings'), envelope({ state: 'running' }))).toBe(true);
      expect(matchesPattern(doc('anythingButStrings'), envelope({ state: 'overloaded' }))).toBe(false);
      expect(matchesPattern(doc('not'), envelope({ Weather: 'Sunny' }))).toBe(true);
      expect(matchesPattern(doc('not'), envelope({ Weather: 'Raining' }))).toBe(false);
    });

    it('matches anything but a list of numbers', () => {
      expect(matchesPattern(doc('anythingButNumbers'), envelope({ 'x-limit': 301.8 }))).toBe(true);
      expect(matchesPattern(doc('anythingButNumbers'), envelope({ 'x-limit': 200 }))).toBe(false);
    });

    it('excludes by value and JSON type, so the string "123" is not the number 123', () => {
      expect(matchesPattern(doc('anythingButNumber'), envelope({ 'x-limit': '123' }))).toBe(true);
    });

    it('matches anything-but with a prefix', () => {
      expect(matchesPattern(doc('anythingButPrefix'), envelope({ state: 'running' }))).toBe(true);
      expect(matchesPattern(doc('anythingButPrefix'), envelope({ state: 'initializing' }))).toBe(false);
      expect(matchesPattern(doc('anythingButRegionPrefix'), envelope({ Region: 'eu-west-1' }))).toBe(true);
      expect(matchesPattern(doc('anythingButRegionPrefix'), envelope({ Region: 'us-east-1' }))).toBe(false);
    });

    it('matches anything-but with a suffix', () => {
      expect(matchesPattern(doc('anythingButSuffix'), envelope({ FileName: 'image.jpg' }))).toBe(true);
      expect(matchesPattern(doc('anythingButSuffix'), envelope({ FileName: 'image.png' }))).toBe(false);
    });

    it('matches anything-but ignoring case', () => {
      expect(matchesPattern(doc('anythingButIgnoreCase'), envelope({ state: 'running' }))).toBe(true);
      expect(matchesPattern(doc('anythingButIgnoreCase'), envelope({ state: 'INITIALIZING' }))).toBe(false);
      const list = {
        detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] },
      };
      expect(matchesPattern(list, envelope({ state: 'Stopped' }))).toBe(false);
      expect(matchesPattern(list, envelope({ state: 'running' }))).toBe(true);
    });

    it('matches anything-but with a wildcard', () => {
      expect(matchesPattern(doc('anythingButWildcard'), envelope({ FilePath: '/usr/bin/env' }))).toBe(true);
      expect(matchesPattern(doc('anythingButWildcard'), envelope({ FilePath: '/usr/lib/libc.so' }))).toBe(
        false,
      );
    });

    it('does not match anything-but when the field is absent', () => {
      expect(matchesPattern(doc('anythingButString'), envelope({}))).toBe(false);
    });

    it('matches anything-but when some element of an event array is not excluded', () => {
      expect(matchesPattern(doc('anythingButNumbers'), envelope({ 'x-limit': [100, 50] }))).toBe(true);
      expect(matchesPattern(doc('anythingButNumbers'), envelope({ 'x-limit': [100, 200] }))).toBe(false);
    });

    it('matches anything-but or absence when both are listed for the field', () => {
      const pattern = { detail: { state: [{ 'anything-but': 'initializing' }, { exists: false }] } };
      expect(matchesPattern(pattern, envelope({}))).toBe(true);
      expect(matchesPattern(pattern, envelope({ state: 'initializing' }))).toBe(false);
    });
  });

  describe('numeric', () => {
    it('matches an equal number', () => {
      expect(matchesPattern(doc('numericEquals'), envelope({ Price: 100 }))).toBe(true);
      expect(matchesPattern(doc('numericEquals'), envelope({ Price: 100.0 }))).toBe(true);
      expect(matchesPattern(doc('numericEquals'), envelope({ Price: 101 }))).toBe(false);
    });

    it('matches a number within a half-open range', () => {
      expect(matchesPattern(doc('numericRange'), envelope({ Price: 20 }))).toBe(true);
      expect(matchesPattern(doc('numericRange'), envelope({ Price: 10.5 }))).toBe(true);
      expect(matchesPattern(doc('numericRange'), envelope({ Price: 10 }))).toBe(false);
      expect(matchesPattern(doc('numericRange'), envelope({ Price: 20.01 }))).toBe(false);
    });

    it('matches the c-count, d-count and x-limit example (event from the event-ruler README)', () => {
      expect(matchesPattern(doc('numericCounts'), ec2RunningCounts)).toBe(true);
      const over = { ...ec2RunningCounts, detail: { ...ec2RunningCounts.detail, 'c-count': 6 } };
      expect(matchesPattern(doc('numericCounts'), over)).toBe(false);
    });

    it('compares numbers as numbers, not as text', () => {
      const pattern = { detail: { n: [{ numeric: ['>=', 9] }] } };
      expect(matchesPattern(pattern, envelope({ n: 10 }))).toBe(true);
      expect(matchesPattern(pattern, envelope({ n: -10 }))).toBe(false);
      expect(matchesPattern({ detail: { n: [{ numeric: ['<', 0] }] } }, envelope({ n: -1.5 }))).toBe(true);
    });

    it('does not apply numeric matching to numeric strings', () => {
      expect(matchesPattern(doc('numericEquals'), envelope({ Price: '100' }))).toBe(false);
    });
  });

  describe('exists', () => {
    it('matches exists true when the field is present (doc example)', () => {
      expect(matchesPattern(doc('stateExists'), ec2Pending)).toBe(true);
      expect(matchesPattern(doc('productExists'), envelope({ ProductName: 'Widget' }))).toBe(true);
    });

    it('does not match exists true when the field is absent (doc example)', () => {
      const event = {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
        detail: { 'c-count': { c1: 100 } },
      };
      expect(matchesPattern(doc('stateExists'), event)).toBe(false);
    });

    it('matches exists false when the field is absent (doc example)', () => {
      const event = {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
        detail: { state: ['initializing', 'running'] },
      };
      expect(matchesPattern(doc('cCountMissing'), event)).toBe(true);
      expect(matchesPattern(doc('productMissing'), envelope({}))).toBe(true);
    });

    it('does not match exists false when the field is present', () => {
      expect(matchesPattern(doc('productMissing'), envelope({ ProductName: 'Widget' }))).toBe(false);
      expect(matchesPattern(doc('cCountMissing'), ec2RunningCounts)).toBe(false);
    });

    it('applies exists only to leaves: an object-valued field counts as absent (doc example)', () => {
      const event = {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
        detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } },
      };
      expect(matchesPattern(doc('cCountMissing'), event)).toBe(true);
      expect(matchesPattern({ detail: { 'c-count': [{ exists: true }] } }, event)).toBe(false);
    });

    it('matches exists false when an intermediate object is missing altogether', () => {
      expect(matchesPattern(doc('cCountMissing'), { source: 'aws.ec2' })).toBe(true);
      expect(matchesPattern(doc('stateExists'), { source: 'aws.ec2' })).toBe(false);
    });

    it('counts null as a present value', () => {
      expect(matchesPattern({ detail: { responseElements: [{ exists: true }] } }, autoscalingLaunch)).toBe(
        true,
      );
    });
  });

  describe('cidr', () => {
    it('matches an IPv4 address inside the block', () => {
      expect(matchesPattern(doc('cidr'), envelope({ sourceIPAddress: '10.0.0.255' }))).toBe(true);
      expect(matchesPattern(doc('cidr'), envelope({ sourceIPAddress: '10.0.0.0' }))).toBe(true);
    });

    it('does not match an address outside the block or a non-address', () => {
      expect(matchesPattern(doc('cidr'), envelope({ sourceIPAddress: '10.0.1.1' }))).toBe(false);
      expect(matchesPattern(doc('cidr'), envelope({ sourceIPAddress: 'example.com' }))).toBe(false);
      expect(matchesPattern(doc('cidr'), envelope({ sourceIPAddress: '10.0.0.256' }))).toBe(false);
    });

    it('matches the event-ruler README source-ip example', () => {
      expect(matchesPattern({ detail: { 'source-ip': [{ cidr: '10.0.0.0/8' }] } }, ec2RunningCounts)).toBe(
        true,
      );
      expect(
        matchesPattern({ detail: { 'source-ip': [{ cidr: '192.168.0.0/16' }] } }, ec2RunningCounts),
      ).toBe(false);
    });

    it('matches IPv6 addresses', () => {
      const pattern = { detail: { ip: [{ cidr: '2001:db8::/32' }] } };
      expect(matchesPattern(pattern, envelope({ ip: '2001:db8:1234::1' }))).toBe(true);
      expect(matchesPattern(pattern, envelope({ ip: '2001:db9::1' }))).toBe(false);
      expect(matchesPattern(pattern, envelope({ ip: '10.0.0.1' }))).toBe(false);
      const mapped = { detail: { ip: [{ cidr: '::ffff:0:0/96' }] } };
      expect(matchesPattern(mapped, envelope({ ip: '::ffff:192.0.2.1' }))).toBe(true);
    });
  });

  describe('$or', () => {
    it('matches when any branch matches (Location or Day)', () => {
      expect(matchesPattern(doc('or'), envelope({ Location: 'New York', Day: 'Tuesday' }))).toBe(true);
      expect(matchesPattern(doc('or'), envelope({ Location: 'Boston', Day: 'Monday' }))).toBe(true);
    });

    it('does not match when no branch matches', () => {
      expect(matchesPattern(doc('or'), envelope({ Location: 'Boston', Day: 'Tuesday' }))).toBe(false);
    });

    it('combines $or with sibling fields as AND (event-ruler README)', () => {
      const pattern = {
        source: ['aws.cloudwatch'],
        $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
      };
      expect(matchesPattern(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(true);
      expect(matchesPattern(pattern, { source: 'aws.ec2', namespace: 'AWS/ES' })).toBe(false);
    });

    it('matches $or nested inside detail and inside another $or branch (event-ruler README)', () => {
      const pattern = {
        source: ['aws.cloudwatch'],
        $or: [
          { metricName: ['CPUUtilization', 'ReadLatency'] },
          {
            metricType: ['MetricType'],
            namespace: ['AWS/EC2', 'AWS/ES'],
            $or: [{ metricId: [1234] }, { spaceId: [1000] }],
          },
          { scope: ['Service'] },
        ],
      };
      const base = { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2' };
      expect(matchesPattern(pattern, { ...base, spaceId: 1000 })).toBe(true);
      expect(matchesPattern(pattern, { ...base, spaceId: 999 })).toBe(false);
      expect(validatePattern(pattern)).toEqual([]);
    });

    it('evaluates $or inside detail against the counts example', () => {
      const pattern = {
        detail: {
          $or: [
            { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
            { 'd-count': [{ numeric: ['<', 10] }] },
            { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
          ],
        },
      };
      const onlyXLimit = { ...ec2RunningCounts, detail: { 'c-count': 50, 'd-count': 50, 'x-limit': 301.8 } };
      const none = { ...ec2RunningCounts, detail: { 'c-count': 50, 'd-count': 50, 'x-limit': 1 } };
      expect(matchesPattern(pattern, onlyXLimit)).toBe(true);
      expect(matchesPattern(pattern, none)).toBe(false);
    });
  });

  describe('complex example', () => {
    it('matches the combined prefix, anything-but and numeric example', () => {
      expect(matchesPattern(doc('complex'), ec2RunningCounts)).toBe(true);
    });

    it('does not match the combined example when one condition fails', () => {
      const initializing = {
        ...ec2RunningCounts,
        detail: { ...ec2RunningCounts.detail, state: 'initializing' },
      };
      const excluded = { ...ec2RunningCounts, detail: { ...ec2RunningCounts.detail, 'x-limit': 300 } };
      expect(matchesPattern(doc('complex'), initializing)).toBe(false);
      expect(matchesPattern(doc('complex'), excluded)).toBe(false);
      expect(matchesPattern(doc('complex'), { ...ec2RunningCounts, time: '2017-10-03T00:00:00Z' })).toBe(
        false,
      );
    });
  });

  describe('patterns of this project', () => {
    const marketplace = { source: [{ prefix: 'marketplace.' }], 'detail-type': ['MarketplaceOrderPlaced'] };
    const commerce = { source: [{ prefix: 'commerce.' }] };
    const order = (source: string, detailType: string) =>
      envelope({ orderId: 'o-1' }, { source, 'detail-type': detailType });

    it('routes marketplace orders to the intake', () => {
      expect(matchesPattern(marketplace, order('marketplace.acme', 'MarketplaceOrderPlaced'))).toBe(true);
    });

    it('does not route other marketplace events or other sources to the intake', () => {
      expect(matchesPattern(marketplace, order('marketplace.acme', 'MarketplaceOrderCancelled'))).toBe(false);
      expect(matchesPattern(marketplace, order('commerce.orders', 'MarketplaceOrderPlaced'))).toBe(false);
      expect(matchesPattern(marketplace, order('marketplace', 'MarketplaceOrderPlaced'))).toBe(false);
    });

    it('sends every commerce.* event to the audit log and nothing else', () => {
      expect(matchesPattern(commerce, order('commerce.orders', 'OrderPlaced'))).toBe(true);
      expect(matchesPattern(commerce, order('commerce', 'OrderPlaced'))).toBe(false);
      expect(matchesPattern(commerce, order('marketplace.acme', 'MarketplaceOrderPlaced'))).toBe(false);
    });

    it.each(busRules.map((rule) => [rule.name, rule.eventPattern] as const))(
      'has a valid pattern for the bus rule %s',
      (_name, pattern) => {
        expect(validatePattern(pattern)).toEqual([]);
      },
    );
  });
});

describe('validatePattern', () => {
  it.each(Object.entries(docPatterns))('accepts the documented pattern %s', (_name, pattern) => {
    expect(validatePattern(pattern)).toEqual([]);
  });

  it('accepts list forms of anything-but with equals-ignore-case and wildcard', () => {
    expect(validatePattern({ a: [{ 'anything-but': { 'equals-ignore-case': ['x', 'y'] } }] })).toEqual([]);
    expect(validatePattern({ a: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] })).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['a non-object pattern', ['aws.ec2'], 'pattern: must be a JSON object'],
    ['an empty pattern', {}, 'pattern: empty objects are not allowed'],
    ['an empty nested object', { detail: {} }, 'detail: empty objects are not allowed'],
    ['an empty array of values', { source: [] }, 'source: empty arrays are not allowed'],
    ['a value not wrapped in an array', { source: 'aws.ec2' }, 'source: must be an object or an array'],
    ['an operator not wrapped in an array', { source: { prefix: 'aws.' } }, 'to use "prefix", wrap it'],
    [
      'an unknown operator',
      { detail: { state: [{ contains: 'x' }] } },
      'detail.state[0]: unknown operator "contains"',
    ],
    ['two operators in one expression', { a: [{ prefix: 'a', suffix: 'b' }] }, 'exactly one operator'],
    ['an empty match expression', { a: [{}] }, 'a[0]: empty match expression'],
    ['a nested array as a value', { a: [['x']] }, 'a[0]: match values must be'],
    ['a numeric prefix', { a: [{ prefix: 1 }] }, 'a[0].prefix: must be a string'],
    [
      'prefix with an unknown option',
      { a: [{ prefix: { 'ignore-case': 'x' } }] },
      'a[0].prefix: must be a string',
    ],
    ['a non-string suffix', { a: [{ suffix: ['x'] }] }, 'a[0].suffix: must be a string'],
    ['a non-string equals-ignore-case', { a: [{ 'equals-ignore-case': 1 }] }, 'must be a string'],
    ['exists with a string', { a: [{ exists: 'true' }] }, 'a[0].exists: must be true or false'],
    ['numeric that is not an array', { a: [{ numeric: '>5' }] }, 'a[0].numeric: must be [operator, number]'],
    [
      'an unknown numeric operator',
      { a: [{ numeric: ['!=', 5] }] },
      'a[0].numeric: must be [operator, number]',
    ],
    ['a numeric bound given as a string', { a: [{ numeric: ['>', '5'] }] }, 'expected a number, got string'],
    [
      'three numeric comparisons',
      { a: [{ numeric: ['>', 0, '<', 5, '<', 6] }] },
      'must be [operator, number]',
    ],
    ['a numeric range upside down', { a: [{ numeric: ['<', 5, '>', 0] }] }, 'must be [operator, number]'],
    ['an empty numeric range', { a: [{ numeric: ['>', 5, '<', 5] }] }, 'lower bound 5 must be less than'],
    ['a numeric bound out of range', { a: [{ numeric: ['>', 6e9] }] }, 'outside the supported range'],
    [
      'a cidr without prefix length',
      { a: [{ cidr: '10.0.0.0' }] },
      'a[0].cidr: must be an address and a prefix',
    ],
    ['a cidr with a bad address', { a: [{ cidr: '10.0.0.300/24' }] }, 'is not an IPv4 or IPv6 address'],
    ['a cidr with a bad prefix length', { a: [{ cidr: '10.0.0.0/33' }] }, 'prefix length must be an integer'],
    ['consecutive wildcards', { a: [{ wildcard: 'a**b' }] }, 'consecutive wildcard characters'],
    ['an invalid wildcard escape', { a: [{ wildcard: 'a\\b' }] }, 'invalid escape'],
    ['anything-but null', { a: [{ 'anything-but': null }] }, 'a[0].anything-but: must be a string, a number'],
    [
      'anything-but boolean',
      { a: [{ 'anything-but': true }] },
      'a[0].anything-but: must be a string, a number',
    ],
    ['anything-but with mixed types', { a: [{ 'anything-but': ['x', 1] }] }, 'only strings or only numbers'],
    ['anything-but with an empty list', { a: [{ 'anything-but': [] }] }, 'empty arrays are not allowed'],
    ['anything-but with a list of operators', { a: [{ 'anything-but': [{ prefix: 'x' }] }] }, 'only strings'],
    ['anything-but with numeric', { a: [{ 'anything-but': { numeric: ['>', 1] } }] }, 'takes exactly one of'],
    ['anything-but with an empty prefix', { a: [{ 'anything-but': { prefix: '' } }] }, 'an empty prefix'],
    [
      'anything-but with a bad wildcard',
      { a: [{ 'anything-but': { wildcard: '**' } }] },
      'consecutive wildcard',
    ],
    ['$or that is not an array', { $or: { a: ['x'] } }, '$or: must be an array of at least 2 objects'],
    ['$or with one branch', { $or: [{ a: ['x'] }] }, '$or: must contain at least 2 objects'],
    ['$or with a non-object branch', { $or: [{ a: ['x'] }, 'b'] }, '$or[1]: must be an object'],
    [
      'an operator name as a field in $or',
      { $or: [{ prefix: ['x'] }, { b: ['y'] }] },
      'cannot be used as a field',
    ],
    [
      'a problem deep inside $or',
      { detail: { $or: [{ a: [] }, { b: ['y'] }] } },
      'detail.$or[0].a: empty arrays',
    ],
  ])('rejects %s', (_name, pattern, expected) => {
    const problems = validatePattern(pattern);
    expect(problems.some((problem) => problem.includes(expected))).toBe(true);
  });

  it('reports every problem, not only the first', () => {
    expect(
      validatePattern({ source: [], detail: { state: [{ exists: 1 }], n: [{ numeric: [] }] } }),
    ).toHaveLength(3);
  });

  it('does not match through a malformed expression', () => {
    expect(matchesPattern({ detail: { state: [{ contains: 'run' }] } }, envelope({ state: 'running' }))).toBe(
      false,
    );
    expect(matchesPattern({ detail: { n: [{ numeric: ['!=', 1] }] } }, envelope({ n: 2 }))).toBe(false);
  });
});
