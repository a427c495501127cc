// A shared library that is not a linkgate plugin: it exports no linkgate_plugin.
extern "C" __attribute__((visibility("default"))) int something_else() {
  return 7;
}
