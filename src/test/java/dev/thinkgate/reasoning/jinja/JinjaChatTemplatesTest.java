package dev.thinkgate.reasoning.jinja;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The shipped templates rendered with transformers' apply_chat_template semantics.
 *
 * <p>Ground truth read for these expectations: transformers
 * {@code src/transformers/tokenization_utils_base.py} and {@code utils/chat_template_utils.py}
 * (continue_final_message: strip, rindex, cut; the two error messages), the templates' published
 * text (see {@code src/main/resources/chat-templates/jinja/SOURCES.md}), each expected string
 * worked out by hand from Python Jinja2 semantics with {@code trim_blocks}/{@code lstrip_blocks}.
 */
class JinjaChatTemplatesTest {
  static final String ZERO_THINK = "\n</think>\n\n";
  static final String LESS_THINK =
      "Okay, the user ask for this, I can answer it without thinking much. \n</think>\n\n";
  static final String BOS = "<｜begin▁of▁sentence｜>";

  final JinjaChatTemplates templates = new JinjaChatTemplates();

  static Map<String, Object> msg(String role, String content) {
    return Map.of("role", role, "content", content);
  }

  static List<Map<String, Object>> prefill(String prefill) {
    return List.of(msg("user", "Hi"), msg("assistant", prefill));
  }

  // --- DeepSeek-R1-Distill ---

  @Test
  void r1PlainChatWithGenerationPromptOpensTheThought() {
    String out = templates.render("deepseek-r1",
        List.of(msg("system", "Be brief."), msg("user", "Hi")), true, false, Map.of());
    assertThat(out).isEqualTo(BOS + "Be brief.<｜User｜>Hi<｜Assistant｜><think>\n");
  }

  @Test
  void r1HistoryKeepsOnlyTheTextAfterThink() {
    String out = templates.render("deepseek-r1",
        List.of(msg("user", "q1"), msg("assistant", "thought</think>\n\nanswer"), msg("user", "q2")),
        true, false, null);
    assertThat(out).isEqualTo(BOS + "<｜User｜>q1<｜Assistant｜>\n\nanswer<｜end▁of▁sentence｜>"
        + "<｜User｜>q2<｜Assistant｜><think>\n");
  }

  @Test
  void r1ZeroThinkAndLessThinkPrefillsVanishSoContinueFinalMessageFails() {
    for (String p : List.of(ZERO_THINK, LESS_THINK, "<think>\nabc\n</think>\n\n")) {
      assertThatThrownBy(() -> templates.render("deepseek-r1", prefill(p), false, true, null))
          .isInstanceOf(ChatTemplateException.class)
          .hasMessage(JinjaChatTemplate.FINAL_MESSAGE_MISSING)
          .hasMessageContaining("final message does not appear");
    }
  }

  @Test
  void r1OpenThoughtPrefillSurvivesButCarriesNoThinkTag() {
    String out = templates.render("deepseek-r1", prefill("Let me see. Wait"), false, true, null);
    assertThat(out).isEqualTo(BOS + "<｜User｜>Hi<｜Assistant｜>Let me see. Wait");
  }

  @Test
  void r1HasNoTemplateKwargs() {
    assertThat(templates.kwargs("deepseek-r1")).doesNotContain("enable_thinking");
    assertThat(templates.get("deepseek-r1").addsBosToken()).isTrue();
  }

  // --- Qwen3 (hybrid thinking) ---

  @Test
  void qwen3GenerationPromptAndEnableThinkingFalse() {
    List<Map<String, Object>> chat = List.of(msg("user", "Hi"));
    assertThat(templates.render("qwen3", chat, true, false, Map.of()))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    assertThat(templates.render("qwen3", chat, true, false, Map.of("enable_thinking", false)))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
    assertThat(templates.render("qwen3", chat, true, false, Map.of("enable_thinking", true)))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    assertThat(templates.kwargs("qwen3")).contains("enable_thinking");
    assertThat(templates.get("qwen3").addsBosToken()).isFalse();
  }

  @Test
  void qwen3WrapsZeroThinkAndCutsTheTrailingNewlines() {
    // rendered ...<think>\n\n</think>\n\n<|im_end|>; "</think>\n\n" != "\n</think>\n\n" -> cut after strip()
    assertThat(templates.render("qwen3", prefill(ZERO_THINK), false, true, null))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>");
  }

  @Test
  void qwen3LessThinkGetsTheOpeningThinkFromTheTemplate() {
    assertThat(templates.render("qwen3", prefill(LESS_THINK), false, true, null))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n" + LESS_THINK);
  }

  @Test
  void qwen3OpenThoughtIsWrappedAfterAnEmptyThought() {
    // finding 2: MoreThink rounds reach the model as "no thinking" followed by a new thought
    assertThat(templates.render("qwen3", prefill("<think>\nabc Wait"), false, true, null))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
            + "<think>\n\n</think>\n\n<think>\nabc Wait");
  }

  @Test
  void qwen3AnswerCallFailsUnlessTheThoughtEndsInOneNewline() {
    assertThatThrownBy(() -> templates.render("qwen3", prefill("<think>\nabc</think>\n\n"), false,
        true, null)).hasMessage(JinjaChatTemplate.FINAL_MESSAGE_MISSING);
    assertThat(templates.render("qwen3", prefill("<think>\nabc\n</think>\n\n"), false, true, null))
        .endsWith("<|im_start|>assistant\n<think>\nabc\n</think>\n\n");
  }

  // --- QwQ ---

  @Test
  void qwqGenerationPromptOpensTheThought() {
    assertThat(templates.render("qwq", List.of(msg("user", "Hi")), true, false, null))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n");
    assertThat(templates.kwargs("qwq")).doesNotContain("enable_thinking");
  }

  @Test
  void qwqStripsEveryAssistantMessageBeforeThinkLikeR1() {
    // verified: QwQ splits on </think> for the final assistant message too
    for (String p : List.of(ZERO_THINK, LESS_THINK)) {
      assertThatThrownBy(() -> templates.render("qwq", prefill(p), false, true, null))
          .hasMessage(JinjaChatTemplate.FINAL_MESSAGE_MISSING);
    }
    assertThat(templates.render("qwq", prefill("abc Wait"), false, true, null))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nabc Wait");
  }

  // --- transformers' rules ---

  @Test
  void bothFlagsAreAnError() {
    assertThatThrownBy(() -> templates.render("qwen3", prefill("x"), true, true, null))
        .isInstanceOf(ChatTemplateException.class)
        .hasMessage(JinjaChatTemplate.BOTH_FLAGS);
  }

  @Test
  void kwargsAreExactlyTheTemplatesOwnVariables() {
    assertThat(templates.kwargs("deepseek-r1")).isEmpty();
    assertThat(templates.kwargs("qwq")).isEmpty();
    assertThat(templates.kwargs("qwen3")).containsExactly("enable_thinking");
    assertThat(JinjaChatTemplate.findKwargs(
        "{% set x = 1 %}{{ x + y }}{% if reasoning_effort == 'low' %}{% endif %}"))
        .containsExactlyInAnyOrder("y", "reasoning_effort");
  }

  @Test
  void keepsPrefillOnlyWhereTheChatPathEqualsGenerationPromptPlusPrefill() {
    List<Map<String, Object>> chat = List.of(msg("user", "Hi"));
    JinjaChatTemplate r1 = templates.get("deepseek-r1");
    JinjaChatTemplate qwen3 = templates.get("qwen3");
    JinjaChatTemplate qwq = templates.get("qwq");
    // R1: closed prefills refused; an open one loses the generation prompt's <think>\n
    assertThat(r1.keepsPrefill(chat, ZERO_THINK, null)).isFalse();
    assertThat(r1.keepsPrefill(chat, "abc Wait", null)).isFalse();
    // Qwen3 (thinking mode: generation prompt without <think>): closed ones with <think> survive
    assertThat(qwen3.keepsPrefill(chat, "<think>\n" + LESS_THINK, null)).isTrue();
    assertThat(qwen3.keepsPrefill(chat, "<think>\n\n</think>\n\n", null)).isTrue();
    assertThat(qwen3.keepsPrefill(chat, "<think>\nabc Wait", null)).isFalse();
    assertThat(qwen3.keepsPrefill(chat, "<think>\nabc</think>\n\n", null)).isFalse();
    assertThat(qwq.keepsPrefill(chat, LESS_THINK, null)).isFalse();
  }

  @Test
  void unknownTemplateNamesTheAllowedOnes() {
    assertThatThrownBy(() -> templates.get("llama"))
        .hasMessage("chat template 'llama' is not one of deepseek-r1, qwen3, qwq");
  }

  @Test
  void pythonSplitKeepsTrailingEmptyField() {
    assertThat(PythonStringMethods.split("a</think>", "</think>")).containsExactly("a", "");
    assertThat(PythonStringMethods.split("a.b", ".")).containsExactly("a", "b");
    assertThat(PythonStringMethods.strip("\n\nx \n", "\n", true, true)).isEqualTo("x ");
  }

  @Test
  void continueFinalKeepsTrailingSpaceWhenTheTemplateKeepsIt() {
    String rendered = "<a>hello  <end>";
    assertThat(JinjaChatTemplate.continueFinal(rendered, List.of(msg("assistant", "hello  "))))
        .isEqualTo("<a>hello  ");
    assertThat(JinjaChatTemplate.continueFinal("<a>hello<end>", List.of(msg("assistant", "hello  "))))
        .isEqualTo("<a>hello");
  }

  @Test
  void dialectRewritesOnlyTheTwoKnownSpots() {
    String qwen3 = templates.get("qwen3").source();
    assertThat(qwen3).contains("messages[::-1]", "last_query_index=messages|length - 1");
    String adapted = JinjavaDialect.adapt(qwen3);
    assertThat(adapted).doesNotContain("[::-1]");
    assertThat(adapted.length()).isEqualTo(qwen3.length() - "[::-1]".length() + "|reverse".length() + 2);
    String r1 = templates.get("deepseek-r1").source();
    assertThat(JinjavaDialect.adapt(r1)).isEqualTo(r1.replace(
        "not add_generation_prompt is defined", "add_generation_prompt is not defined"));
    assertThat(JinjavaDialect.adapt(templates.get("qwq").source()))
        .isEqualTo(templates.get("qwq").source());
  }

  @Test
  void qwen3MultiTurnRendersHistoryWithoutThoughts() {
    String out = templates.render("qwen3", List.of(msg("user", "q1"),
        msg("assistant", "<think>\nt1\n</think>\n\na1"), msg("user", "q2")), true, false, null);
    assertThat(out).isEqualTo("<|im_start|>user\nq1<|im_end|>\n<|im_start|>assistant\na1<|im_end|>\n"
        + "<|im_start|>user\nq2<|im_end|>\n<|im_start|>assistant\n");
  }
}
