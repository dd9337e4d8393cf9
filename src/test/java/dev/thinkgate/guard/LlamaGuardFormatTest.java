package dev.thinkgate.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thinkgate.config.GatewayConfig.GuardApi;
import io.vertx.core.json.JsonArray;
import java.util.List;
import org.junit.jupiter.api.Test;

class LlamaGuardFormatTest {

  @Test
  void llamaGuard3ResponsePromptWithCategorySubsetIsByteExact() {
    // Given an answer screen with three enabled categories, listed out of order
    GuardRequest request = new GuardRequest("  How do I bake bread?\n", "\nMix flour and water.  ",
        List.of("S10", "S1", "S9"));

    // When the Llama Guard 3 prompt is built
    String prompt = LlamaGuardFormat.llamaGuard3().prompt(request);

    // Then it matches the published template, with only S1, S9, S10 in code order and stripped turns
    assertThat(prompt).isEqualTo(
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
            + "Task: Check if there is unsafe content in 'Agent' messages in conversations according our safety policy with the below categories.\n\n"
            + "<BEGIN UNSAFE CONTENT CATEGORIES>\n"
            + "S1: Violent Crimes.\n"
            + "S9: Indiscriminate Weapons.\n"
            + "S10: Hate.\n"
            + "<END UNSAFE CONTENT CATEGORIES>\n\n"
            + "<BEGIN CONVERSATION>\n\n"
            + "User: How do I bake bread?\n\n"
            + "Agent: Mix flour and water.\n\n"
            + "<END CONVERSATION>\n\n"
            + "Provide your safety assessment for ONLY THE LAST Agent message in the above conversation:\n"
            + " - First line must read 'safe' or 'unsafe'.\n"
            + " - If unsafe, a second line must include a comma-separated list of violated categories."
            + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>");
  }

  @Test
  void llamaGuard3InputPromptListsAllFourteenAndAsksAboutTheUser() {
    String prompt = LlamaGuardFormat.llamaGuard3().prompt(new GuardRequest("hi", null, List.of()));

    assertThat(prompt).contains("unsafe content in 'User' messages")
        .contains("S1: Violent Crimes.\nS2: Non-Violent Crimes.\nS3: Sex Crimes.\nS4: Child Exploitation.\n"
            + "S5: Defamation.\nS6: Specialized Advice.\nS7: Privacy.\nS8: Intellectual Property.\n"
            + "S9: Indiscriminate Weapons.\nS10: Hate.\nS11: Self-Harm.\nS12: Sexual Content.\n"
            + "S13: Elections.\nS14: Code Interpreter Abuse.\n<END UNSAFE CONTENT CATEGORIES>")
        .contains("<BEGIN CONVERSATION>\n\nUser: hi\n\n<END CONVERSATION>")
        .contains("ONLY THE LAST User message")
        .doesNotContain("Agent");
  }

  @Test
  void llamaGuard4PromptUsesItsOwnTokensAndIsByteExact() {
    GuardRequest request = new GuardRequest("Tell me a joke", "Why did the chicken cross the road?",
        List.of("S11", "S2"));

    String prompt = LlamaGuardFormat.llamaGuard4().prompt(request);

    assertThat(prompt).isEqualTo(
        "<|begin_of_text|><|header_start|>user<|header_end|>\n\n"
            + "Task: Check if there is unsafe content in 'Agent' messages in conversations according to our safety policy with the below categories.\n\n"
            + "<BEGIN UNSAFE CONTENT CATEGORIES>\n"
            + "S2: Non-Violent Crimes.\n"
            + "S11: Self-Harm.\n"
            + "<END UNSAFE CONTENT CATEGORIES>\n\n"
            + "<BEGIN CONVERSATION>\n\n"
            + "User: Tell me a joke\n\n"
            + "Agent: Why did the chicken cross the road?\n\n"
            + "<END CONVERSATION>\n\n"
            + "Provide your safety assessment for ONLY THE LAST Agent message in the above conversation:\n"
            + " - First line must read 'safe' or 'unsafe'.\n"
            + " - If unsafe, a second line must include a comma-separated list of violated categories."
            + "<|eot|><|header_start|>assistant<|header_end|>");
  }

  /**
   * The category names Llama Guard 4's chat template is given by vLLM's own accuracy test of the
   * model (vllm-project/tpu-inference, the multimodal safety-model accuracy test:
   * {@code get_llama_guard_4_config()["TEMPLATE_ARGS"]["categories"]}), which are the short names
   * of the Llama Guard 3 prompt, not the model card's hazard-table titles ("Sex-Related Crimes",
   * "Suicide &amp; Self-Harm"). The model card (meta-llama/PurpleLlama
   * {@code Llama-Guard4/12B/MODEL_CARD.md}) gives only those titles and points to llama.com for
   * the prompt format, whose token layout ({@code <|header_start|>}, {@code <|header_end|>},
   * {@code <|eot|>}) the byte-exact test above follows.
   */
  @Test
  void llamaGuard4CategoryNamesAreThoseVllmsAccuracyTestPassesToItsTemplate() {
    java.util.Map<String, String> vllmTemplateArgs = new java.util.LinkedHashMap<>();
    String[] names = {"Violent Crimes.", "Non-Violent Crimes.", "Sex Crimes.",
        "Child Exploitation.", "Defamation.", "Specialized Advice.", "Privacy.",
        "Intellectual Property.", "Indiscriminate Weapons.", "Hate.", "Self-Harm.",
        "Sexual Content.", "Elections.", "Code Interpreter Abuse."};
    for (int i = 0; i < names.length; i++) {
      vllmTemplateArgs.put("S" + (i + 1), names[i]);
    }

    assertThat(LlamaGuardFormat.CATEGORIES).containsExactlyEntriesOf(vllmTemplateArgs);
    String prompt = LlamaGuardFormat.llamaGuard4().prompt(new GuardRequest("hi", null, List.of()));
    StringBuilder listed = new StringBuilder();
    vllmTemplateArgs.forEach((k, v) -> listed.append(k).append(": ").append(v).append('\n'));
    assertThat(prompt).contains("<BEGIN UNSAFE CONTENT CATEGORIES>\n" + listed
        + "<END UNSAFE CONTENT CATEGORIES>");
  }

  @Test
  void promptsForAGrowingSpanShareTheirPrefix() {
    LlamaGuardFormat f = LlamaGuardFormat.llamaGuard3();
    String a = f.prompt(new GuardRequest("q", "one two three", List.of()));
    String b = f.prompt(new GuardRequest("q", "one two three four five", List.of()));

    assertThat(b).startsWith(a.substring(0, a.indexOf("three") + "three".length()));
  }

  @Test
  void unknownCategoryIsRejectedWithItsName() {
    assertThatThrownBy(() -> LlamaGuardFormat.llamaGuard3().prompt(new GuardRequest("q", "a", List.of("S15"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'S15'");
  }

  @Test
  void chatMessagesUseStringContentForLg3AndTypedPartsForLg4() {
    GuardRequest request = new GuardRequest("u", "a", List.of());

    JsonArray lg3 = LlamaGuardFormat.llamaGuard3().messages(request);
    JsonArray lg4 = LlamaGuardFormat.llamaGuard4().messages(request);

    assertThat(lg3.encode()).isEqualTo("[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":\"a\"}]");
    assertThat(lg4.encode()).isEqualTo("[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"u\"}]},"
        + "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"a\"}]}]");
    assertThat(LlamaGuardFormat.llamaGuard3().messages(new GuardRequest("u", null, List.of()))).hasSize(1);
  }

  @Test
  void wireTextDependsOnApi() {
    LlamaGuardFormat f = LlamaGuardFormat.llamaGuard3();
    GuardRequest r = new GuardRequest("u", "a", List.of("S1"));

    assertThat(f.wireText(r, GuardApi.COMPLETIONS)).isEqualTo(f.prompt(r));
    assertThat(f.wireText(r, GuardApi.CHAT)).isEqualTo(f.messages(r).encode());
  }
}
