import { createHash } from 'node:crypto';
import { promptFingerprint } from './prompt-fingerprint';

/** The fingerprint as it was first defined: every run of whitespace becomes one space. */
function reference(messages: ReadonlyArray<{ role: string; text: string }>): string {
  const normalised = messages.map((m) => `${m.role}\u0000${m.text.trim().replace(/\s+/g, ' ').toLowerCase()}\u0001`).join('');
  return createHash('sha256').update(normalised, 'utf8').digest('hex');
}

describe('promptFingerprint', () => {
  const texts = [
    'What is the capital of France?',
    '  leading and trailing  ',
    'two  spaces',
    'a\ttab',
    'line\nbreak and\r\nwindows',
    'mixed \t \n run',
    'no-break\u00a0space and em\u2003space',
    'single spaces between every word here',
    ' ',
    '',
    'ÜBER Größe',
  ];

  it.each(texts)('equals the whitespace-run definition for %j', (text) => {
    const messages = [
      { role: 'system', text: 'Be  brief.' },
      { role: 'user', text },
    ];
    expect(promptFingerprint(messages)).toBe(reference(messages));
  });

  it('ignores case and how whitespace is laid out, and keeps roles and message boundaries apart', () => {
    const base = promptFingerprint([{ role: 'user', text: 'Hello there world' }]);
    expect(promptFingerprint([{ role: 'user', text: '  hello\tTHERE \n world ' }])).toBe(base);
    expect(promptFingerprint([{ role: 'system', text: 'Hello there world' }])).not.toBe(base);
    expect(promptFingerprint([{ role: 'user', text: 'Hello there' }, { role: 'user', text: 'world' }])).not.toBe(base);
  });

  it('stays the same value across releases (consumers compare fingerprints over time)', () => {
    expect(promptFingerprint([{ role: 'user', text: 'Hello  World' }])).toBe(createHash('sha256').update('user\u0000hello world\u0001').digest('hex'));
  });
});
