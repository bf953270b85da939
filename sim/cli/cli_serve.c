/* `podscale serve`: the GPU optimizer service (optimizer/server/serve.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optimizer/server/serve.h"
#include "sim/cli/cli.h"

static const char serve_help[] =
    "usage: podscale serve [--config FILE] [--redis URL] [--port N] [--bind ADDR] [--threads N]\n"
    "                      [--decision-log FILE] [--interval S] [--replay START:END]\n"
    "                      [--log-level debug|info|warning|error]\n"
    "\n"
    "Run the GPU optimizer service, compatible with AIBrix's: every 10 s, 2 s after the\n"
    "gateway's trace key time, each model's loop reads the gateway traces and GPU profiles,\n"
    "clusters the load and solves the ILP; GET /metrics/{namespace}/{deployment} serves the\n"
    "result as vllm:deployment_replicas in 1/100 GPU for the PodAutoscaler. Stops on SIGTERM.\n"
    "\n"
    "  --config FILE        models and deployments (JSON, docs/serve.md); without it only\n"
    "                       POST /monitor adds them\n"
    "  --redis URL          redis://[user:pass@]host[:port][/db]: profiles and gateway traces;\n"
    "                       default from REDIS_HOST, REDIS_PORT, REDIS_PASSWORD as AIBrix's;\n"
    "                       none: standalone (profile_file entries, POST /trace/{model})\n"
    "  --port N             HTTP port (default 8080; 0: any free port, logged)\n"
    "  --bind ADDR          IPv4 address to listen on (default 0.0.0.0)\n"
    "  --threads N          HTTP threads (default 2)\n"
    "  --decision-log FILE  append every decision as a JSON line (podscale regress replays it\n"
    "                       with the profiles saved in profiles/ beside it)\n"
    "  --interval S         loop period, the gateway's trace interval (default 10)\n"
    "  --replay START:END   run the loops over trace time START..END (Unix s) at full speed,\n"
    "                       then keep serving the result; decisions carry no wall time\n"
    "  --log-level L        least level logged (default info)\n";

/* redis://[:password@]host:port from AIBrix's environment, or NULL. */
static const char *redis_from_env(char *buf, size_t n) {
  const char *host = getenv("REDIS_HOST");
  if (!host || !*host) return NULL;
  const char *port = getenv("REDIS_PORT"), *pass = getenv("REDIS_PASSWORD");
  snprintf(buf, n, "redis://%s%s%s%s:%s", pass && *pass ? ":" : "", pass && *pass ? pass : "",
           pass && *pass ? "@" : "", host, port && *port ? port : "6379");
  return buf;
}

int cmd_serve(int argc, char **argv) {
  static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                           {"redis", required_argument, NULL, 'r'},
                                           {"port", required_argument, NULL, 'p'},
                                           {"bind", required_argument, NULL, 'b'},
                                           {"threads", required_argument, NULL, 't'},
                                           {"decision-log", required_argument, NULL, 'd'},
                                           {"interval", required_argument, NULL, 'i'},
                                           {"replay", required_argument, NULL, 'R'},
                                           {"log-level", required_argument, NULL, 'l'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  srv_options o = srv_options_default();
  char env_url[1024];
  int64_t v;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 'c': o.config_path = optarg; break;
    case 'r': o.redis_url = optarg; break;
    case 'b': o.bind = optarg; break;
    case 'd': o.decision_log = optarg; break;
    case 'p':
      if (!cli_int(optarg, 0, 65535, &v))
        return cli_usage_error("serve: --port: expected 0 to 65535, found '%s'", optarg);
      o.port = (int)v;
      break;
    case 't':
      if (!cli_int(optarg, 1, 64, &v))
        return cli_usage_error("serve: --threads: expected 1 to 64, found '%s'", optarg);
      o.threads = (int)v;
      break;
    case 'i':
      if (!cli_int(optarg, 1, 3600, &v))
        return cli_usage_error("serve: --interval: expected 1 to 3600 seconds, found '%s'", optarg);
      o.interval_s = v;
      break;
    case 'R': {
      const char *colon = strchr(optarg, ':');
      char start[32];
      size_t n = colon ? (size_t)(colon - optarg) : 0;
      int64_t a, b;
      if (!colon || n >= sizeof start) goto bad_replay;
      memcpy(start, optarg, n);
      start[n] = '\0';
      if (!cli_int(start, 0, 4102444800LL, &a) || !cli_int(colon + 1, 0, 4102444800LL, &b) || b < a)
        goto bad_replay;
      o.replay = true;
      o.replay_start_s = a;
      o.replay_end_s = b;
      break;
    bad_replay:
      return cli_usage_error("serve: --replay: expected START:END, Unix seconds with START <= "
                             "END, found '%s'",
                             optarg);
    }
    case 'l': {
      static const char *const levels[] = {"debug", "info", "warning", "error"};
      int k = 0;
      while (k < 4 && strcmp(optarg, levels[k]) != 0)
        k++;
      if (k == 4)
        return cli_usage_error("serve: --log-level: expected debug, info, warning or error, "
                               "found '%s'",
                               optarg);
      o.log_level = k;
      break;
    }
    case 'h': fputs(serve_help, stdout); return EXIT_OK;
    default: return cli_usage_error("serve: unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("serve: unexpected argument '%s'", argv[optind]);
  if (!o.redis_url) o.redis_url = redis_from_env(env_url, sizeof env_url);
  return srv_main(&o);
}
