package dev.thinkgate.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.screening.ShadowTrialBudget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13: the shadow_policies key is validated; the trial budget skips and counts. */
class ShadowPoliciesTest {
  private final PolicyLoader loader = new PolicyLoader(Map.<String, String>of()::get);

  @Test
  void namesMustExistAndNeverLeadBack(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("a.yaml"), "shadow_policies: [b, nope]\n");
    Files.writeString(dir.resolve("b.yaml"), "shadow_policies: [c]\n");
    Files.writeString(dir.resolve("c.yaml"), "shadow_policies: [a]\n");
    Files.writeString(dir.resolve("self.yaml"), "shadow_policies: [self]\n");

    PolicyLoadResult result = loader.loadDirectory(dir);

    List<String> errors = result.errors().stream().map(ConfigError::toString).toList();
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("a.yaml").contains("shadow_policies[1]")
        .contains("'nope' is not a policy"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("a.yaml").contains("shadow_policies[0]")
        .contains("cycle"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("self.yaml").contains("shadow_policies[0]")
        .contains("cannot trial itself"));
  }

  @Test
  void theShippedShadowAuditPolicyTrialsStrictAndBalanced() {
    PolicyLoadResult result = loader.loadDirectory(Path.of("policies"));

    assertThat(result.errors()).isEmpty();
    assertThat(result.policies().get("shadow-audit").shadowPolicies()).containsExactly("strict", "balanced");
  }

  @Test
  void overBudgetTrialsAreSkippedAndCounted() {
    List<String> skipped = new ArrayList<>();
    ShadowTrialBudget budget = new ShadowTrialBudget(1, skipped::add);

    assertThat(budget.tryAcquire("strict")).isTrue();
    assertThat(budget.tryAcquire("strict")).isFalse();
    assertThat(budget.tryAcquire("balanced")).isTrue();
    budget.release("strict");
    assertThat(budget.tryAcquire("strict")).isTrue();

    assertThat(skipped).containsExactly("strict");
  }
}
