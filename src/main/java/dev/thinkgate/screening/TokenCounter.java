package dev.thinkgate.screening;

import java.util.Arrays;

/**
 * Counts whitespace-separated words ("tokens" for checkpoint spacing) in text that arrives in
 * pieces, remembering where each word starts so windows can be cut on word boundaries. A word is
 * complete once whitespace follows it (or the text has ended); a word split across pieces is one
 * word. Not thread-safe.
 */
public final class TokenCounter {

  private int[] starts = new int[64];
  private int count;
  private boolean inWord;
  private int scanned;

  /** Number of whitespace-separated words in {@code text}. */
  public static int count(CharSequence text) {
    TokenCounter c = new TokenCounter();
    c.scan(text);
    return c.total();
  }

  /** Scans the characters of {@code text} not seen yet (text only ever grows by appending). */
  public void scan(CharSequence text) {
    for (int i = scanned; i < text.length(); i++) {
      take(text.charAt(i), i);
    }
    scanned = text.length();
  }

  /**
   * Scans {@code piece}, the text just appended to what was scanned before: {@link #scan} of the
   * whole text, reading only the new characters, from the piece itself.
   */
  public void scanAppended(String piece) {
    int base = scanned;
    for (int i = 0; i < piece.length(); i++) {
      take(piece.charAt(i), base + i);
    }
    scanned = base + piece.length();
  }

  private void take(char c, int at) {
    boolean space = isWhitespace(c);
    if (!space && !inWord) {
      if (count == starts.length) {
        starts = Arrays.copyOf(starts, count * 2);
      }
      starts[count++] = at;
    }
    inWord = !space;
  }

  /** {@link Character#isWhitespace(char)}, answered without a table lookup below U+0080. */
  static boolean isWhitespace(char c) {
    if (c < 0x80) {
      return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F);
    }
    return Character.isWhitespace(c);
  }

  /** Words seen so far, the last one possibly still growing. */
  public int total() {
    return count;
  }

  /** Words that cannot grow any more. */
  public int complete(boolean textEnded) {
    return textEnded || !inWord ? count : count - 1;
  }

  /** Offset of word {@code i}'s first character. */
  public int start(int i) {
    if (i < 0 || i >= count) {
      throw new IndexOutOfBoundsException("word " + i + " of " + count);
    }
    return starts[i];
  }
}
