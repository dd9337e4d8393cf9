package dev.thinkgate.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.ConfigError;
import dev.thinkgate.config.ConfigLoader;
import dev.thinkgate.policy.Policy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark's copy of a shipped policy behaves as the shipped file does. */
class BenchPoliciesTest {

  @Test
  void balancedIsTheShippedBalancedPolicy() throws Exception {
    ConfigLoader loader = new ConfigLoader(name -> null);
    List<ConfigError> errors = new ArrayList<>();
    Path shipped = Path.of("policies/balanced.yaml");
    Policy file = loader.policyLoader().parse("balanced", Files.readString(shipped),
        shipped.toString(), errors);
    Policy bench = loader.policyLoader().parse("balanced",
        BenchPolicies.yaml(64, 64).get(BenchPolicies.BALANCED), "bench:balanced.yaml", errors);
    assertThat(errors).isEmpty();
    assertThat(bench.reasoning()).isEqualTo(file.reasoning());
    assertThat(bench.screening()).isEqualTo(file.screening());
    assertThat(bench.audit()).isEqualTo(file.audit());
    assertThat(bench.clientDialect()).isEqualTo(file.clientDialect());
    assertThat(bench.shadowPolicies()).isEqualTo(file.shadowPolicies());
  }
}
