import { countTokens } from 'gpt-tokenizer';
import { estimatePromptTokens } from './prompt-tokens';

const prose = 'Routing decides which deployment serves a call, and recovery decides what happens when it fails. ';

describe('estimatePromptTokens', () => {
  it('uses bytes / 4 plus chat framing when the prompt cannot reach the limit', () => {
    const messages = [
      { content: 'You are terse.' },
      { content: prose.repeat(10), name: 'ana' },
    ];
    const bytes = Buffer.byteLength('You are terse.') + Buffer.byteLength(prose.repeat(10)) + 3;
    expect(estimatePromptTokens(messages, 32_000)).toBe(Math.ceil(bytes / 4) + 2 * 4 + 3);
  });

  it('counts with the tokenizer once the prompt might reach the limit', () => {
    const text = prose.repeat(200); // ~19 KB
    const exact = countTokens(text) + 4 + 3;
    expect(estimatePromptTokens([{ content: text }], 8_000)).toBe(exact);
    // The cheap estimate of the same prompt would be off by a few percent.
    expect(estimatePromptTokens([{ content: text }], 32_000)).not.toBe(exact);
  });

  it('estimates CJK text from UTF-8 bytes, close to the real count, not from characters', () => {
    const text = '东京的天气今天很好，我们去公园散步吧。'.repeat(50);
    const cheap = estimatePromptTokens([{ content: text }], 1_000_000);
    const real = countTokens(text) + 7;
    // chars / 4 would say ~240; bytes / 4 lands within a factor of ~1.5 of the truth.
    expect(cheap / real).toBeGreaterThan(0.6);
    expect(cheap / real).toBeLessThan(1.6);
  });

  it('counts empty and null content as framing only', () => {
    expect(estimatePromptTokens([{ content: null }, { content: '' }])).toBe(2 * 4 + 3);
  });
});
