package dev.thinkgate.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.guard.GuardRequest;
import dev.thinkgate.guard.GuardVerdict;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The whole-response text and request SafeChain judges. Ground truth: uw-nsl/safechain
 * resp_eval.py ({@code llama_guard_modurate}: [user instruction, assistant response] through
 * Llama-Guard-3-8B's chat template, i.e. all categories; {@code 'unsafe' in output}); the
 * response layout is the one issue 15 quotes from the paper's pipeline.
 */
class SafeChainVerdictTest {

  @Test
  void thinkingModesAreJudgedOnTheWholeResponseWithThinkTags() {
    // ThinkGate records the answer with the "\n\n" the model wrote after </think>
    String text = SafeChainVerdict.responseText("passthrough", "Let me think.\n", "\n\nHere it is.");

    assertThat(text).isEqualTo("<think>\nLet me think.\n</think>\n\nHere it is.");
    assertThat(SafeChainVerdict.responseText("morethink", "a\n", "\n\nb"))
        .isEqualTo("<think>\na\n</think>\n\nb");
  }

  @Test
  void zeroThinkAndLessThinkAreJudgedOnTheAnswerAlone() {
    assertThat(SafeChainVerdict.responseText("zerothink", "", "\n\nI can't help with that."))
        .isEqualTo("I can't help with that.");
    assertThat(SafeChainVerdict.responseText("lessthink", "Okay, the user wants me to answer.\n",
        "\n\nSure.")).isEqualTo("Sure.");
  }

  @Test
  void theRequestListsEveryCategoryAndTheRecordKeepsItsSpanVerdicts() {
    GuardRequest request = SafeChainVerdict.request("q", "passthrough", "t\n", "\n\na");
    assertThat(request.userPrompt()).isEqualTo("q");
    assertThat(request.assistantText()).isEqualTo("<think>\nt\n</think>\n\na");
    assertThat(request.categories()).isEmpty(); // empty = all fourteen

    AuditRecord base = FileAuditSinkTest.record(0);
    AuditRecord judged = SafeChainVerdict.with(base,
        SafeChainVerdict.json(new GuardVerdict(false, List.of("S9"), 12, false)));

    JsonObject response = judged.verdicts().getJsonObject("response");
    assertThat(response.getBoolean("safe")).isFalse();
    assertThat(response.getJsonArray("categories").getList()).containsExactly("S9");
    if (base.verdicts() != null) {
      for (String key : base.verdicts().fieldNames()) {
        assertThat(judged.verdicts().getValue(key)).isEqualTo(base.verdicts().getValue(key));
      }
    }
  }

  @Test
  void addingTheVerdictKeepsEveryOtherFieldOfTheRecordIncludingLiveTrials() {
    AuditRecord base = FileAuditSinkTest.record(0);
    AuditRecord trialed = new AuditRecord(base.id(), base.ts(), base.tenant(), base.policy(),
        base.model(), base.mode(), base.group(), base.sample(), base.params(), base.prompt(),
        base.thinking(), base.answer(), base.verdicts(), base.action(), base.shadowAction(),
        base.finishReason(), base.usage(), base.timing(), new io.vertx.core.json.JsonArray()
            .add(new JsonObject().put("policy", "strict").put("action", "block")));

    AuditRecord judged = SafeChainVerdict.with(trialed,
        SafeChainVerdict.json(new GuardVerdict(true, List.of(), 3, false)));

    // the record is the same but for verdicts.response (the shadow[] trials were once dropped)
    assertThat(judged.shadow()).isEqualTo(trialed.shadow());
    assertThat(new AuditRecord(judged.id(), judged.ts(), judged.tenant(), judged.policy(),
        judged.model(), judged.mode(), judged.group(), judged.sample(), judged.params(),
        judged.prompt(), judged.thinking(), judged.answer(), trialed.verdicts(), judged.action(),
        judged.shadowAction(), judged.finishReason(), judged.usage(), judged.timing(),
        judged.shadow())).isEqualTo(trialed);
  }
}
