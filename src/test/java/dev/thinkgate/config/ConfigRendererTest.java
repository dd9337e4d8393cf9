package dev.thinkgate.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.policy.Policy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigRendererTest {
  private final PolicyLoader loader = new PolicyLoader(name -> null);

  @Test
  void everyShippedPolicyRoundTripsThroughItsRenderedYaml() {
    for (Policy shipped : loader.loadDirectory(Path.of("policies")).policies().values()) {
      List<ConfigError> errors = new ArrayList<>();
      Policy reread = loader.parse(shipped.name(), ConfigRenderer.policyYaml(shipped),
          shipped.name() + ".yaml", errors);

      assertThat(errors).as(shipped.name()).isEmpty();
      assertThat(reread).as(shipped.name()).isEqualTo(shipped);
    }
  }

  @Test
  void maskedConfigShowsOnlyHashPrefixesAndNoUrlCredentials() {
    String hash = ApiKeyHash.of("tg-x");
    GatewayConfig config = new GatewayConfig(
        new GatewayConfig.ServerConfig(null, 1, 2, hash, 10, 10, false),
        List.of(new GatewayConfig.RouteConfig("*", "https://u:p4ss@h:8443/v1", null, null,
            "KEY", null, false, false, null, null)),
        null,
        List.of(new GatewayConfig.TenantConfig("t", List.of(ApiKeyHash.of("tg-y")), null, null, 0, 0)),
        null, null);

    String json = ConfigRenderer.gatewayMasked(config).toString();

    assertThat(json).doesNotContain(hash, ApiKeyHash.of("tg-y"), "p4ss")
        .contains(ApiKeyHash.masked(hash), "https://h:8443/v1", "\"api_key_env\":\"KEY\"");
    assertThat(ApiKeyHash.masked(hash)).hasSize("sha256:".length() + 8 + 1).endsWith("…");
  }

  @Test
  void aKafkaSinkIsShownWithoutItsCredentials() {
    GatewayConfig.KafkaSinkConfig kafka = new GatewayConfig.KafkaSinkConfig("k:9092", "audit",
        "lz4", 5_000, java.util.Map.of("linger.ms", "50",
            "sasl.jaas.config", "PlainLoginModule required username=\"u\" password=\"s3cret\";",
            "ssl.truststore.password", "tr0st"));
    GatewayConfig config = new GatewayConfig(null, List.of(), null, List.of(),
        new GatewayConfig.AuditConfig(List.of(GatewayConfig.AuditSinkConfig.kafka(kafka, 77)), 8),
        null);

    String json = ConfigRenderer.gatewayMasked(config).toString();

    assertThat(json).doesNotContain("s3cret", "tr0st").contains("\"type\":\"kafka\"",
        "\"bootstrap_servers\":\"k:9092\"", "\"topic\":\"audit\"", "\"compression\":\"lz4\"",
        "\"queue_size\":77", "\"close_timeout_ms\":5000", "\"linger.ms\":\"50\"",
        "\"sasl.jaas.config\":\"****\"");
  }
}
