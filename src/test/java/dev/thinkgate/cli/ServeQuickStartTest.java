package dev.thinkgate.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thinkgate.config.GatewayConfig.RouteConfig;
import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The quick start's route flags ({@code serve --upstream …}). */
class ServeQuickStartTest {
  private static RouteConfig route(String... args) {
    ServeCommand serve = new ServeCommand();
    new CommandLine(serve).parseArgs(args);
    return serve.quickStart().routes().get(0);
  }

  @Test
  void theDefaultRouteProbesItsServer() {
    RouteConfig route = route("--upstream", "http://127.0.0.1:8000");

    assertThat(route.dialect()).isEqualTo(UpstreamDialect.AUTO);
    assertThat(route.chatTemplate()).isNull();
    assertThat(route.implicitThinkOpen()).isFalse();
  }

  @Test
  void implicitThinkOpenAndTheTemplateComeFromTheCommandLine() {
    RouteConfig route = route("--upstream", "http://127.0.0.1:8000", "--implicit-think-open",
        "--chat-template", "qwq", "--upstream-dialect", "sglang");

    assertThat(route.implicitThinkOpen()).isTrue();
    assertThat(route.chatTemplate()).isEqualTo("qwq");
    assertThat(route.dialect()).isEqualTo(UpstreamDialect.SGLANG);
  }

  @Test
  void anUnknownTemplateIsRefused() {
    assertThatThrownBy(() -> route("--upstream", "http://h", "--chat-template", "llama"))
        .hasMessage("--chat-template: 'llama' is not one of deepseek-r1, qwen3, qwq");
  }
}
