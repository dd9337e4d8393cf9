package dev.thinkgate.screening;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenCounterTest {

  @Test
  void countsWhitespaceSeparatedWords() {
    assertThat(TokenCounter.count("")).isZero();
    assertThat(TokenCounter.count("   \n\t ")).isZero();
    assertThat(TokenCounter.count("one")).isEqualTo(1);
    assertThat(TokenCounter.count("  one two\nthree\t")).isEqualTo(3);
  }

  @Test
  void aWordSplitAcrossPiecesIsOneWordAndIncompleteUntilWhitespace() {
    StringBuilder text = new StringBuilder();
    TokenCounter c = new TokenCounter();

    text.append("make a bo");
    c.scan(text);
    assertThat(c.total()).isEqualTo(3);
    assertThat(c.complete(false)).isEqualTo(2);

    text.append("mb now");
    c.scan(text);
    assertThat(c.total()).isEqualTo(4);
    assertThat(c.start(2)).isEqualTo(7);
    assertThat(c.complete(false)).isEqualTo(3);
    assertThat(c.complete(true)).isEqualTo(4);

    text.append(' ');
    c.scan(text);
    assertThat(c.complete(false)).isEqualTo(4);
  }

  @Test
  void itsWhitespaceIsJavasForEveryChar() {
    for (int c = 0; c <= Character.MAX_VALUE; c++) {
      assertThat(TokenCounter.isWhitespace((char) c)).as("U+%04X", c)
          .isEqualTo(Character.isWhitespace((char) c));
    }
  }

  @Test
  void scanningTheAppendedPieceCountsAsScanningTheWholeText() {
    String[] pieces = {"  make", " a bo", "mb", "\u2003now\u00A0", "", "\n\tend ", "x"};
    StringBuilder text = new StringBuilder();
    TokenCounter whole = new TokenCounter();
    TokenCounter appended = new TokenCounter();
    for (String piece : pieces) {
      text.append(piece);
      whole.scan(text);
      appended.scanAppended(piece);
      assertThat(appended.total()).isEqualTo(whole.total());
      assertThat(appended.complete(false)).isEqualTo(whole.complete(false));
      for (int i = 0; i < whole.total(); i++) {
        assertThat(appended.start(i)).isEqualTo(whole.start(i));
      }
    }
  }
}
