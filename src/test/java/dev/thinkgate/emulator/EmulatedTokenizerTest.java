package dev.thinkgate.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thinkgate.reasoning.jinja.JinjaChatTemplates;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmulatedTokenizerTest {
  private static final JinjaChatTemplates TEMPLATES = new JinjaChatTemplates();

  @Test
  void specialTokensAreOneTokenAndCodePointsTheRest() {
    EmulatedTokenizer r1 = new EmulatedTokenizer(TEMPLATES.get("deepseek-r1"));
    List<Integer> ids = r1.encode("<｜User｜>é😀</think>", false);
    assertThat(ids).hasSize(4);
    assertThat(ids.get(1)).isEqualTo((int) 'é');
    assertThat(ids.get(2)).isEqualTo(0x1F600);
    StringBuilder back = new StringBuilder();
    ids.forEach(id -> back.append(r1.tokenText(id)));
    assertThat(back).hasToString("<｜User｜>é😀</think>");
  }

  @Test
  void bosOnlyWhereTheTokenizerAddsIt() {
    EmulatedTokenizer r1 = new EmulatedTokenizer(TEMPLATES.get("deepseek-r1"));
    EmulatedTokenizer qwen = new EmulatedTokenizer(TEMPLATES.get("qwen3"));
    assertThat(r1.withSpecialTokens("x", true)).isEqualTo("<｜begin▁of▁sentence｜>x");
    assertThat(r1.withSpecialTokens("x", false)).isEqualTo("x");
    assertThat(qwen.withSpecialTokens("x", true)).isEqualTo("x");
    assertThat(r1.encode("x", true)).hasSize(2);
  }

  @Test
  void idsOutsideTheVocabularyAreRejected() {
    EmulatedTokenizer qwen = new EmulatedTokenizer(TEMPLATES.get("qwen3"));
    assertThatThrownBy(() -> qwen.tokenText(-1)).hasMessageContaining("out of vocabulary");
    assertThatThrownBy(() -> qwen.tokenText(qwen.vocabSize())).hasMessageContaining("out of vocabulary");
    assertThatThrownBy(() -> qwen.tokenText(0xD800)).hasMessageContaining("out of vocabulary");
  }

  @Test
  void holdBackIsTheLongestStopLessOne() {
    assertThat(EmulatedModelServer.holdBack(List.of("</think>", "\n\n"))).isEqualTo(7);
    assertThat(EmulatedModelServer.holdBack(List.of())).isZero();
    Decoding d = Decoding.decode("abc def</think>", List.of("</think>"), null, false);
    assertThat(d.dropTail(3).text()).isEqualTo("abc ");
    assertThat(d.dropTail(3).stopReason()).isEqualTo("</think>");
  }

  @Test
  void aThoughtReopenedAfterAClosedOneIsContinued() {
    Prefill p = Prefill.of("<think>\n\n</think>\n\n<think>\nabc Wait");
    assertThat(p.state()).isEqualTo(Prefill.State.OPEN);
    assertThat(p.thought()).isEqualTo("\nabc Wait");
    assertThat(Prefill.of("<think>\nabc\n</think>\n\n").state()).isEqualTo(Prefill.State.CLOSED);
  }
}
