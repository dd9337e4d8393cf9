package dev.thinkgate.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RelayScenarioTest {

  @Test
  void eachRoundStartsOneTargetLaterSoNoTargetAlwaysFollowsTheOthers() {
    List<String> order = List.of("direct", "nginx", "passthrough");
    assertThat(RelayScenario.rotated(order, 0)).containsExactly("direct", "nginx", "passthrough");
    assertThat(RelayScenario.rotated(order, 1)).containsExactly("nginx", "passthrough", "direct");
    assertThat(RelayScenario.rotated(order, 4)).containsExactly("nginx", "passthrough", "direct");
  }

  @Test
  void perRoundRatiosAreShownAsMedianAndRange() {
    assertThat(RelayScenario.spread(List.of(1.15, 0.98, 1.04))).isEqualTo("median 1.04 (0.98 … 1.15)");
    assertThat(RelayScenario.spread(List.of(1.2))).isEqualTo("median 1.20 (1.20 … 1.20)");
    assertThat(RelayScenario.spread(List.of())).isEqualTo("-");
  }
}
