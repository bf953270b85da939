/*
 * store: Redis destinations as aibrix_gen_profile takes them, the profile key, and (when
 * redis-server is installed, as the README's set-up line does) a round trip through a private
 * Redis server on a free port.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "fixtures.h"
#include "optimizer/profile.h"
#include "optimizer/store.h"

static void redis_url_parses_what_gen_profile_accepts(void **state) {
  (void)state;
  static const struct {
    const char *url, *user, *pass, *host;
    int port, db;
    const char *model;
  } ok[] = {
      {"redis://localhost:6379/?model=deepseek-llm-7b-chat", "", "", "localhost", 6379, 0,
       "deepseek-llm-7b-chat"},
      {"redis://localhost/?model=llama2-7b", "", "", "localhost", 6379, 0, "llama2-7b"},
      {"redis://r.example:7000/3?model=m", "", "", "r.example", 7000, 3, "m"},
      {"redis://alice:s3cret@10.0.0.2:6380/1?model=m", "alice", "s3cret", "10.0.0.2", 6380, 1, "m"},
      {"redis://:pw@h?model=m", "", "pw", "h", 6379, 0, "m"},
      {"redis://h?x=1&model=m2&y=2", "", "", "h", 6379, 0, "m2"},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    opt_redis_url u;
    opt_err e = {{0}};
    if (!opt_redis_url_parse(ok[i].url, &u, &e)) fail_msg("%s: %s", ok[i].url, e.msg);
    assert_string_equal(u.user, ok[i].user);
    assert_string_equal(u.pass, ok[i].pass);
    assert_string_equal(u.host, ok[i].host);
    assert_int_equal(u.port, ok[i].port);
    assert_int_equal(u.db, ok[i].db);
    assert_string_equal(u.model, ok[i].model);
  }
  static const struct {
    const char *url, *says;
  } bad[] = {
      {"redis://localhost:6379/", "model is missing"},
      {"http://localhost/?model=m", "expected redis://"},
      {"redis://:6379/?model=m", "host"},
      {"redis://h:99999/?model=m", "port"},
      {"redis://h:63x9/?model=m", "port"},
      {"redis://h/db?model=m", "database"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    opt_redis_url u;
    opt_err e = {{0}};
    if (opt_redis_url_parse(bad[i].url, &u, &e)) fail_msg("accepted %s", bad[i].url);
    if (!strstr(e.msg, bad[i].says) || !strstr(e.msg, bad[i].url))
      fail_msg("%s: message \"%s\" lacks \"%s\"", bad[i].url, e.msg, bad[i].says);
  }
  assert_true(opt_store_is_redis("redis://h/?model=m"));
  assert_false(opt_store_is_redis("profiles/a100.json"));
}

static void profile_key_is_aibrix_s(void **state) {
  (void)state;
  char key[64];
  assert_true(opt_store_key("deepseek-llm-7b-chat", "deepseek-v100", key, sizeof key));
  assert_string_equal(key, "aibrix:profile_deepseek-llm-7b-chat_deepseek-v100");
  char small[16];
  assert_false(opt_store_key("deepseek-llm-7b-chat", "d", small, sizeof small));
}

static void profiles_round_trip_through_redis(void **state) {
  (void)state;
  int port = 0;
  pid_t pid = fx_redis_start(&port);
  if (pid < 0) {
    print_message("redis-server is not installed: the Redis round trip is skipped\n");
    skip();
  }
  char url_text[128];
  snprintf(url_text, sizeof url_text, "redis://127.0.0.1:%d/2?model=llama2_7b", port);
  opt_redis_url url;
  assert_true(opt_redis_url_parse(url_text, &url, NULL));
  opt_err e = {{0}};
  opt_store *s = opt_store_open(&url, &e);
  if (!s) fail_msg("%s", e.msg);
  const char *json = "{\"gpu\": \"a100\", \"cost\": 1.0}";
  assert_true(opt_store_put(s, "llama2_7b", "a100", json, &e));
  assert_true(opt_store_put(s, "llama2_7b", "a40", "{}", &e));
  assert_true(opt_store_put(s, "llama2*", "x", "{}", &e)); /* a glob character in a model */
  char *got = NULL;
  assert_true(opt_store_get(s, "llama2_7b", "a100", &got, &e));
  assert_string_equal(got, json);
  free(got);
  assert_false(opt_store_get(s, "llama2_7b", "h100", &got, &e));
  assert_non_null(strstr(e.msg, "aibrix:profile_llama2_7b_h100"));
  char **names;
  size_t n;
  assert_true(opt_store_list(s, "llama2_7b", &names, &n, &e));
  assert_int_equal(n, 2);
  assert_string_equal(names[0], "a100");
  assert_string_equal(names[1], "a40");
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  assert_true(opt_store_list(s, "llama2*", &names, &n, &e)); /* matches only itself */
  assert_int_equal(n, 1);
  assert_string_equal(names[0], "x");
  free(names[0]);
  free(names);
  opt_store_close(s);
  fx_redis_stop(pid);
}

/* Gateway trace keys: written with the gateway's expiry, listed by time with malformed keys set
 * apart, read back; a missing key is not an error; a dead server breaks the connection. */
static void traces_round_trip_through_redis(void **state) {
  (void)state;
  int port = 0;
  pid_t pid = fx_redis_start(&port);
  if (pid < 0) skip();
  char url_text[128];
  snprintf(url_text, sizeof url_text, "redis://127.0.0.1:%d", port);
  opt_redis_url url;
  opt_err e = {{0}};
  if (!opt_redis_url_parse_any(url_text, &url, &e)) fail_msg("%s", e.msg);
  assert_string_equal(url.model, "");
  opt_store *s = opt_store_open(&url, &e);
  if (!s) fail_msg("%s", e.msg);
  assert_true(opt_store_trace_put(s, "m", 30, "{\"1:1\":3}", 600, &e));
  assert_true(opt_store_trace_put(s, "m", 10, "{\"1:1\":1}", 600, &e));
  assert_true(opt_store_trace_put(s, "m", 20, "{}", 0, &e));
  assert_true(opt_store_trace_put(s, "m_x", 40, "{}", 600, &e));     /* another model */
  assert_true(opt_store_put(s, "m", "request_trace_abc", "{}", &e)); /* not a trace key */
  redisContext *c = redisConnect("127.0.0.1", port);
  freeReplyObject(redisCommand(c, "SET aibrix:m_request_trace_12x {}"));
  freeReplyObject(redisCommand(c, "SET aibrix:m_request_trace_ {}"));
  freeReplyObject(redisCommand(c, "SET aibrix:m_request_trace_010 {}")); /* not the gateway's */
  redisReply *ttl = redisCommand(c, "TTL aibrix:m_request_trace_10");
  assert_true(ttl->integer > 590 && ttl->integer <= 600);
  freeReplyObject(ttl);
  redisFree(c);
  int64_t *ts;
  char **bad;
  size_t n, nbad;
  assert_true(opt_store_trace_list(s, "m", &ts, &n, &bad, &nbad, &e));
  assert_int_equal(n, 3);
  assert_int_equal(ts[0], 10);
  assert_int_equal(ts[1], 20);
  assert_int_equal(ts[2], 30);
  assert_int_equal(nbad, 3);
  assert_string_equal(bad[0], "");
  assert_string_equal(bad[1], "010");
  assert_string_equal(bad[2], "12x");
  free(ts);
  opt_store_names_free(bad, nbad);
  char *json;
  bool found;
  assert_true(opt_store_trace_get(s, "m", 30, &json, &found, &e));
  assert_true(found);
  assert_string_equal(json, "{\"1:1\":3}");
  free(json);
  assert_true(opt_store_trace_get(s, "m", 50, &json, &found, &e));
  assert_false(found);
  assert_null(json);
  assert_true(opt_store_trace_get(s, "m", 20, &json, &found, &e) && found);
  free(json);
  /* a value past the cap is refused without being read whole; an empty one is found empty */
  c = redisConnect("127.0.0.1", port);
  freeReplyObject(redisCommand(c, "SETRANGE aibrix:m_request_trace_60 %d x", OPT_TRACE_TEXT_MAX));
  freeReplyObject(redisCommand(c, "SET aibrix:m_request_trace_70 %b", "", (size_t)0));
  freeReplyObject(redisCommand(c, "SETRANGE aibrix:profile_m_big %d x", OPT_TEXT_MAX));
  redisFree(c);
  assert_false(opt_store_trace_get(s, "m", 60, &json, &found, &e));
  assert_non_null(strstr(e.msg, "aibrix:m_request_trace_60: expected at most 1048576 bytes"));
  assert_null(json);
  assert_true(opt_store_trace_get(s, "m", 70, &json, &found, &e));
  assert_true(found);
  assert_string_equal(json, "");
  free(json);
  assert_false(opt_store_get(s, "m", "big", &json, &e));
  assert_non_null(strstr(e.msg, "aibrix:profile_m_big: expected at most 67108864 bytes"));
  assert_false(opt_store_broken(s));
  fx_redis_stop(pid);
  assert_false(opt_store_trace_get(s, "m", 30, &json, &found, &e));
  assert_true(opt_store_broken(s));
  opt_store_close(s);
}

static void an_unreachable_server_is_a_clear_error(void **state) {
  (void)state;
  opt_redis_url url;
  assert_true(opt_redis_url_parse("redis://127.0.0.1:1/?model=m", &url, NULL));
  opt_err e = {{0}};
  assert_null(opt_store_open(&url, &e));
  assert_non_null(strstr(e.msg, "redis://127.0.0.1:1/0: cannot connect"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(redis_url_parses_what_gen_profile_accepts),
      cmocka_unit_test(profile_key_is_aibrix_s),
      cmocka_unit_test(profiles_round_trip_through_redis),
      cmocka_unit_test(traces_round_trip_through_redis),
      cmocka_unit_test(an_unreachable_server_is_a_clear_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
