/**
 * How a token's text is shown to people (panel, hovers): whitespace and SentencePiece's '▁' made
 * visible, and byte-fallback tokens ("<0x4F>") shown as the character when it is printable ASCII.
 * Multi-byte UTF-8 pieces stay as <0xNN>: alone they are not characters.
 */
export function displayToken(text: string): string {
  if (text === '') return '∅';
  const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(text);
  if (byte) {
    const code = parseInt(byte[1], 16);
    if (code >= 0x20 && code < 0x7f) text = String.fromCharCode(code);
    else if (code === 0x0a) text = '\n';
    else if (code === 0x09) text = '\t';
    else return text;
  }
  return text.replace(/[▁ ]/g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/\r/g, '␍');
}
