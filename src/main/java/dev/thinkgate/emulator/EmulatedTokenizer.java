package dev.thinkgate.emulator;

import dev.thinkgate.reasoning.jinja.JinjaChatTemplate;
import java.util.ArrayList;
import java.util.List;

/**
 * The emulator's vocabulary for {@code /tokenize} and {@code /detokenize}: one token per Unicode
 * code point (id = the code point), and each special token of the template's tokenizer as one
 * token (id {@link #SPECIAL_BASE} + its index). BOS is prepended when asked and the tokenizer adds
 * it (DeepSeek-R1-Distill: yes, Qwen: no).
 */
final class EmulatedTokenizer {
  static final int SPECIAL_BASE = 0x110000;

  private final List<String> special;
  private final String bos;
  private final boolean addsBos;

  EmulatedTokenizer(JinjaChatTemplate template) {
    this.special = template == null ? List.of() : template.specialTokens();
    this.bos = template == null ? null : template.bosToken();
    this.addsBos = template != null && template.addsBosToken();
  }

  /** The text the model sees for {@code text} under {@code add_special_tokens}. */
  String withSpecialTokens(String text, boolean addSpecialTokens) {
    return addSpecialTokens && addsBos ? bos + text : text;
  }

  List<Integer> encode(String text, boolean addSpecialTokens) {
    String all = withSpecialTokens(text, addSpecialTokens);
    List<Integer> ids = new ArrayList<>();
    int i = 0;
    outer:
    while (i < all.length()) {
      for (int s = 0; s < special.size(); s++) {
        if (all.startsWith(special.get(s), i)) {
          ids.add(SPECIAL_BASE + s);
          i += special.get(s).length();
          continue outer;
        }
      }
      int cp = all.codePointAt(i);
      ids.add(cp);
      i += Character.charCount(cp);
    }
    return ids;
  }

  /** The text of one token id; throws for an id outside the vocabulary. */
  String tokenText(long id) {
    if (id >= 0 && id < SPECIAL_BASE && (id < Character.MIN_SURROGATE || id > Character.MAX_SURROGATE)) {
      return new String(Character.toChars((int) id));
    }
    if (id >= SPECIAL_BASE && id < SPECIAL_BASE + special.size()) {
      return special.get((int) (id - SPECIAL_BASE));
    }
    throw new IllegalArgumentException("Token id " + id + " is out of vocabulary");
  }

  int vocabSize() {
    return SPECIAL_BASE + special.size();
  }
}
