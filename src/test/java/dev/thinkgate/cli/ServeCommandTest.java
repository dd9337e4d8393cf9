package dev.thinkgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.GatewayConfig.RouteConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The quick start's flags, as the route they build. */
class ServeCommandTest {
  private static RouteConfig route(String... args) {
    ServeCommand command = new ServeCommand();
    new CommandLine(command).parseArgs(args);
    return command.quickStart().routes().get(0);
  }

  @Test
  void implicitThinkOpenIsAQuickStartFlag() {
    // A DeepSeek-R1 server without a reasoning parser writes the thought untagged before </think>
    assertThat(route("--upstream", "http://127.0.0.1:8000", "--implicit-think-open")
        .implicitThinkOpen()).isTrue();
    assertThat(route("--upstream", "http://127.0.0.1:8000").implicitThinkOpen()).isFalse();
  }
}
