package dev.thinkgate.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code server.drain_timeout_ms}: default, range, and how an error reads. */
class DrainTimeoutConfigTest {
  @TempDir Path dir;

  private LoadResult load(String yaml) throws Exception {
    Path file = dir.resolve("thinkgate.yaml");
    Files.writeString(file, yaml);
    return new ConfigLoader(Map.<String, String>of()::get).load(file, null);
  }

  @Test
  void defaultsToThirtySeconds() throws Exception {
    LoadResult result = load("server: {port: 8080}\n");

    assertThat(result.errors()).isEmpty();
    assertThat(result.config().server().drainTimeoutMs()).isEqualTo(30_000);
    assertThat(GatewayConfig.ServerConfig.DEFAULT.drainTimeoutMs()).isEqualTo(30_000);
  }

  @Test
  void acceptsZeroAndAnHour() throws Exception {
    assertThat(load("server: {drain_timeout_ms: 0}\n").config().server().drainTimeoutMs())
        .isZero();
    assertThat(load("server: {drain_timeout_ms: 3600000}\n").config().server().drainTimeoutMs())
        .isEqualTo(3_600_000);
  }

  @Test
  void outOfRangeOrNotAnIntegerNamesFileKeyAndRange() throws Exception {
    String file = dir.resolve("thinkgate.yaml").toString();

    assertThat(load("server: {drain_timeout_ms: -1}\n").errors())
        .extracting(ConfigError::toString).containsExactly(file
            + ": server.drain_timeout_ms: -1 is out of range; allowed: an integer from 0 to"
            + " 3600000");
    assertThat(load("server: {drain_timeout_ms: 3600001}\n").errors())
        .extracting(ConfigError::toString).singleElement().asString()
        .contains("server.drain_timeout_ms: 3600001 is out of range");
    assertThat(load("server: {drain_timeout_ms: soon}\n").errors())
        .extracting(ConfigError::toString).singleElement().asString()
        .contains("server.drain_timeout_ms: 'soon' is not an integer");
  }

  @Test
  void theAdminViewShowsIt() throws Exception {
    GatewayConfig config = load("server: {drain_timeout_ms: 45000}\n").config();

    assertThat(ConfigRenderer.gatewayMasked(config).get("server").get("drain_timeout_ms").asLong())
        .isEqualTo(45_000);
  }

  @Test
  void theRecordRefusesANegativeTimeout() {
    assertThatThrownBy(() -> new GatewayConfig.ServerConfig("h", 1, 2, null, 1, 1, true, -5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("drainTimeoutMs must be >= 0, was -5");
  }
}
