// serverless-esbuild plugins: the packaged functions get src/config/runtime.ts replaced by the validated
// refresher config (Lambda's 4 KB environment is no place for it), so their bundles leave out the config
// loader and with it the schema library and the YAML parser.
const { loadRefresherConfig } = require('./refresher-config.cjs');

module.exports = (serverless) => {
  const configFile = serverless.service.custom?.refresher?.configFile;
  return [
    {
      name: 'refresher-config',
      setup(build) {
        let config;
        build.onStart(() => {
          try {
            config = loadRefresherConfig(configFile);
            return undefined;
          } catch (error) {
            return { errors: [{ text: error.message }] };
          }
        });
        build.onLoad({ filter: /[\\/]src[\\/]config[\\/]runtime\.ts$/ }, () => ({
          contents: `export async function loadRuntimeConfig() { return ${JSON.stringify(config)}; }`,
          loader: 'ts',
        }));
      },
    },
  ];
};
