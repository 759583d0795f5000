# Time of labctl up and down versus node count (medians), for docs/benchmarks.svg.
# Usage: gnuplot -e "data='FILE'; out='FILE.svg'" tests/bench/plot.gp
set terminal svg size 640,400 dynamic font "sans,11"
set output out
set title "labctl on the local lab (netns, tgt, libiscsi): time versus node count"
set xlabel "nodes (disk+host pairs x 2)"
set ylabel "wall time, s (median)"
set key top left
set grid
set logscale x 2
set xrange [1.5:*]
set yrange [0:*]
plot data using 1:2 with linespoints title "labctl up", \
     data using 1:3 with linespoints title "labctl down"
