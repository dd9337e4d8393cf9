package dev.thinkgate.guard;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The Llama Guard prompt strips each message as the published template does ({@code | trim} in
 * Jinja, {@link String#strip} here): {@link LlamaGuardFormat#appendStripped} must append exactly
 * {@code text.strip()}, for whitespace of every kind the JDK knows, surrogate pairs included.
 */
class LlamaGuardStripProperties {

  @Property(tries = 2000)
  void appendsWhatStripGives(@ForAll("texts") String text) {
    StringBuilder sb = new StringBuilder("x");
    LlamaGuardFormat.appendStripped(sb, text);
    assertThat(sb.toString()).isEqualTo("x" + text.strip());
  }

  @Provide
  Arbitrary<String> texts() {
    // ASCII and Unicode whitespace, non-breaking spaces (not whitespace to Java), a supplementary
    // character (a surrogate pair), and plain letters
    return Arbitraries.strings().withChars(' ', '\t', '\n', '\u000B', '\f', '\r', '\u001C',
        '\u001F', '\u00A0', '\u2003', '\u2007', '\u2028', '\u3000', 'a', 'Z', '\u00E9')
        .ofMaxLength(12)
        .flatMap(s -> Arbitraries.of("", "\uD83D\uDE00", "\u2003").map(extra -> extra + s + extra));
  }
}
