package dev.thinkgate.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.ApiKeyHash;
import dev.thinkgate.config.ConfigError;
import dev.thinkgate.config.ConfigLoader;
import dev.thinkgate.config.LoadResult;
import dev.thinkgate.state.StateErrors;
import dev.thinkgate.state.StateStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #14: {@code on_state_error} is decided by the tenant, else by its policy, else by the
 * gateway's {@code state.on_state_error}.
 */
class FailModeResolutionTest {

  private static LoadResult load(Path dir, String policyExtra) throws Exception {
    Path policies = Files.createDirectories(dir.resolve("policies"));
    Files.writeString(policies.resolve("open.yaml"), "on_state_error: fail_open\n" + policyExtra);
    Files.writeString(policies.resolve("plain.yaml"), "description: inherits\n");
    Path conf = dir.resolve("thinkgate.yaml");
    Files.writeString(conf, """
        routes:
          - model: "*"
            upstream: http://127.0.0.1:8000
        state:
          on_state_error: fail_closed
        tenants:
          own:
            key_hashes: [%s]
            policy: open
            on_state_error: fail_closed
          by_policy:
            key_hashes: [%s]
            policy: open
          by_gateway:
            key_hashes: [%s]
            policy: plain
        """.formatted(ApiKeyHash.of("k1"), ApiKeyHash.of("k2"), ApiKeyHash.of("k3")));
    return new ConfigLoader(Map.<String, String>of()::get).load(conf, policies);
  }

  @Test
  void theTenantWinsThenItsPolicyThenTheGateway(@TempDir Path dir) throws Exception {
    LoadResult result = load(dir, "");
    assertThat(result.errors()).isEmpty();
    Vertx vertx = Vertx.vertx();
    try {
      TenantAdmission admission = new TenantAdmission(vertx, new StateStore(vertx),
          new StateErrors(new SimpleMeterRegistry()), new SimpleMeterRegistry(), System::nanoTime);
      admission.apply(result.config());

      assertThat(admission.failsOpen("own")).isFalse();
      assertThat(admission.failsOpen("by_policy")).isTrue();
      assertThat(admission.failsOpen("by_gateway")).isFalse();
    } finally {
      vertx.close().await(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aBadPolicyValueNamesTheFileAndKey(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("policies"));
    Files.writeString(dir.resolve("policies").resolve("bad.yaml"), "on_state_error: maybe\n");
    LoadResult result = load(dir, "");
    assertThat(result.errors()).map(ConfigError::toString)
        .anySatisfy(e -> assertThat(e).contains("bad.yaml").contains("on_state_error")
            .contains("fail_open"));
  }
}
