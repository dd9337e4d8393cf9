package dev.thinkgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.emulator.EmulatedModelServer;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.ServerProfile;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code thinkgate policy check --probe} against the template-rendering emulator (vLLM + R1). */
class PolicyProbeIT {
  private final StringWriter out = new StringWriter();
  private Vertx vertx;
  private int port;

  @BeforeEach
  void startEmulator() {
    vertx = Vertx.vertx();
    EmulatedModelServer model = new EmulatedModelServer(vertx, ModelEmulatorOptions.builder()
        .serverProfile(ServerProfile.VLLM_0_11).template("deepseek-r1").build());
    port = model.start("127.0.0.1", 0).await();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private int check(Path dir, String dialect) throws IOException {
    Path config = dir.resolve("thinkgate.yaml");
    Files.writeString(config, """
        routes:
          - model: r1-distill
            upstream: http://127.0.0.1:%d
            upstream_model: %s
            dialect: %s
        """.formatted(port, ModelEmulatorOptions.DEFAULT_MODEL, dialect));
    CommandLine cli = new CommandLine(new PolicyCommand(Map.<String, String>of()::get));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(new StringWriter(), true));
    return cli.execute("check", "--probe", "--config", config.toString(), "--policies", "policies");
  }

  @Test
  void aVllmDialectRouteOnR1IsNamedAsMisconfigured(@TempDir Path dir) throws IOException {
    int exit = check(dir, "vllm");

    assertThat(exit).isEqualTo(1);
    assertThat(out.toString()).contains("route r1-distill (http://127.0.0.1:" + port
            + ", dialect vllm): completions path with template deepseek-r1: the chat path"
            + " refuses (400) prefills")
        // balanced: on_unsafe_input zerothink; shadow-audit: overrides to every mode
        .contains("MISCONFIGURED: policies balanced, budget, lessthink, morethink, shadow-audit,"
            + " zerothink send prefills");
  }

  @Test
  void theSameRouteOnAutoPasses(@TempDir Path dir) throws IOException {
    int exit = check(dir, "auto");

    assertThat(exit).isZero();
    assertThat(out.toString()).contains("dialect auto): completions path with template"
        + " deepseek-r1").doesNotContain("MISCONFIGURED");
  }
}
