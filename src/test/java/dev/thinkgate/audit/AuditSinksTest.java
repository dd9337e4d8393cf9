package dev.thinkgate.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thinkgate.config.GatewayConfig.AuditConfig;
import dev.thinkgate.config.GatewayConfig.AuditSinkConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditSinksTest {

  @TempDir Path dir;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @Test
  void noSinkDiscardsOneSinkIsItselfSeveralFanOut() throws Exception {
    AuditSink none = AuditSinks.create(AuditConfig.NONE, registry, Clock.systemUTC());
    AuditSink one = AuditSinks.create(new AuditConfig(
        List.of(AuditSinkConfig.file(dir.resolve("one").toString())), 4), registry,
        Clock.systemUTC());
    AuditSink two = AuditSinks.create(new AuditConfig(List.of(
        AuditSinkConfig.file(dir.resolve("a").toString()),
        AuditSinkConfig.file(dir.resolve("b").toString())), 4), registry, Clock.systemUTC());

    assertThat(none.offer(FileAuditSinkTest.record(0))).isFalse();
    assertThat(one).isInstanceOf(FileAuditSink.class);
    assertThat(two).isInstanceOf(AuditSinks.CompositeAuditSink.class);
    assertThat(two.offer(FileAuditSinkTest.record(0))).isTrue();
    one.close();
    two.close();

    try (var a = Files.list(dir.resolve("a")); var b = Files.list(dir.resolve("b"))) {
      assertThat(a.count()).isEqualTo(1);
      assertThat(b.count()).isEqualTo(1);
    }
  }

  @Test
  void unknownTypeIsNamed() {
    AuditConfig config = new AuditConfig(List.of(
        new AuditSinkConfig("s3", null, 1, true, true, 1, 1)), 4);

    assertThatThrownBy(() -> AuditSinks.create(config, registry, Clock.systemUTC()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("audit sink type 's3' is not one of file, kafka");
  }
}
