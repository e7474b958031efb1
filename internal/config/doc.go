// Package config turns a RocketMQ .properties file and command-line
// settings into the flat Config structs each package owns, as
// NamesrvStartup and BrokerStartup do with MixAll.properties2Object.
//
// It owns: loading the file (java.util.Properties syntax, no ${} expansion),
// applying key=value / -Dkey=value arguments and -n (namesrvAddr), decoding
// into structs tagged `properties:"key,env=VAR,default=value"`, tracking
// which keys no struct consumed (Properties.Unused, Suggest and Alias for
// warnings about typos and legacy spellings), and printing every effective
// setting for -p (Print).
//
// Unlike Java, a value that does not parse is an error naming the key
// (*KeyError) instead of being silently ignored.
//
// Properties is a plain value without locks; use it from one goroutine.
package config
