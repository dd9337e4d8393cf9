package dev.thinkgate.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.guard.Qwen3GuardFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue #15, finding 7: Qwen3Guard's response verdict with several categories and its
 * {@code Refusal:} line is longer than the 20 tokens the gateway used to allow, so vLLM cut it
 * (finish_reason {@code length}) and the cut verdict was a guard error. The Qwen3Guard-Gen model
 * card (Qwen/Qwen3Guard-Gen-8B README) generates with {@code max_new_tokens=128}.
 */
class GuardVerdictLengthTest {
  private final String verdict = GuardFamily.QWEN3_GUARD
      .render(List.of("S1", "S2", "S12", "S10", "S11"), true, false);

  @Test
  void aSeveralCategoryResponseVerdictIsCutAtTwentyTokensAndTheCutIsAGuardError() {
    String cut = EmulatedGuardServer.firstTokens(verdict, 20);

    // the cut loses categories and the Refusal line; read as whole it would misreport them, so
    // HttpGuard treats finish_reason "length" as a guard error (HttpGuardTest)
    assertThat(cut).isNotEqualTo(verdict).doesNotContain("Refusal:");
    assertThat(new Qwen3GuardFormat().parse(cut, 1).categories())
        .isNotEqualTo(new Qwen3GuardFormat().parse(verdict, 1).categories());
  }

  @Test
  void theSameVerdictFitsIn128TokensAndParses() {
    String whole = EmulatedGuardServer.firstTokens(verdict, 128);

    assertThat(whole).isEqualTo(verdict);
    assertThat(new Qwen3GuardFormat().parse(whole, 1).safe()).isFalse();
  }
}
