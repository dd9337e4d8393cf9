package dev.thinkgate.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code thinkgate} command. */
@Command(
    name = "thinkgate",
    mixinStandardHelpOptions = true,
    version = "thinkgate 0.1.0",
    description = "OpenAI-compatible gateway that controls and screens the reasoning of LRMs.",
    subcommands = {
      ServeCommand.class,
      DemoCommand.class,
      EmulateCommand.class,
      PolicyCommand.class,
      KeysCommand.class,
      AuditCommand.class,
      EvalCommand.class,
      BenchCommand.class,
      ReplayCommand.class,
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
