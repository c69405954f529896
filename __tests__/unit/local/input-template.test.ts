import { ABSENT_PATH_VALUE, renderInputTemplate } from '../../../local/standins/input-template';

const record = {
  dynamodb: {
    Keys: { id: { S: 'row-1' } },
    NewImage: { note: { S: 'say "hi"\\ then\nleave' }, size: { N: '12' }, flag: { BOOL: true }, nested: { M: { a: { S: 'x' } } } },
  },
};

describe('renderInputTemplate', () => {
  it.each([
    { case: 'a quoted string', template: '{"v": "<$.dynamodb.Keys.id.S>"}', expected: { v: 'row-1' } },
    { case: 'a string with quotes, a backslash and a newline, escaped', template: '{"v": "<$.dynamodb.NewImage.note.S>"}', expected: { v: 'say "hi"\\ then\nleave' } },
    { case: 'text around a placeholder', template: '{"v": "id=<$.dynamodb.Keys.id.S>!"}', expected: { v: 'id=row-1!' } },
    { case: 'a quoted boolean, as its text', template: '{"v": "<$.dynamodb.NewImage.flag.BOOL>"}', expected: { v: 'true' } },
    { case: 'an unquoted object, as JSON', template: '{"v": <$.dynamodb.NewImage.nested.M>}', expected: { v: { a: { S: 'x' } } } },
    { case: 'constants next to placeholders', template: '{"n": 1, "v": "<$.dynamodb.NewImage.size.N>"}', expected: { n: 1, v: '12' } },
    { case: 'an escaped quote in the template text', template: '{"v": "a \\"<$.dynamodb.Keys.id.S>\\""}', expected: { v: 'a "row-1"' } },
  ])('renders $case', ({ template, expected }) => {
    expect(renderInputTemplate(template, record)).toEqual(expected);
  });

  it('renders a quoted path absent from the record as the documented empty string', () => {
    expect(ABSENT_PATH_VALUE).toBe('');
    expect(renderInputTemplate('{"v": "<$.dynamodb.NewImage.failure_reason.S>", "w": "<$.dynamodb.OldImage.status.S>"}', record)).toEqual({ v: '', w: '' });
  });

  it.each([
    { case: 'an unquoted absent path', template: '{"v": <$.dynamodb.NewImage.missing.S>}', message: 'absent from the record and unquoted' },
    { case: 'a quoted object', template: '{"v": "<$.dynamodb.NewImage.nested.M>"}', message: 'not a string, number or boolean' },
    { case: 'an array index', template: '{"v": "<$.dynamodb.Records[0]>"}', message: 'not supported locally' },
    { case: 'a reserved variable', template: '{"v": "<aws.pipes.pipe-arn>"}', message: 'not supported locally' },
    { case: 'an unclosed placeholder', template: '{"v": "<$.dynamodb', message: 'no closing' },
    { case: 'output that is not JSON', template: '{"v": <$.dynamodb.Keys.id.S>', message: 'rendered invalid JSON' },
  ])('refuses $case', ({ template, message }) => {
    expect(() => renderInputTemplate(template, record)).toThrow(message);
  });
});
